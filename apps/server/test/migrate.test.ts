import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { decodeServerFrame, encodeAuth } from '@parley/api';
import { openPgStorage } from '@parley/relay';
import { createThrowawayDatabase } from '@parley/relay/testing';
import { call, drain, registerDevice, sendBody } from './client.js';
import { nodeEntry } from './node-entry.js';
import { startServer, stopServer } from './server-process.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

/** Guids pushed to `device` on first connecting (its whole queue, up to the window). */
async function pushedGuids(base: string, accountId: string, secret: string): Promise<string[]> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/websocket`);
  const guids: string[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      ws.send(encodeAuth(accountId, 1, Buffer.from(secret, 'base64')));
    });
    ws.on('message', (data: Buffer) => {
      const frame = decodeServerFrame(new Uint8Array(data));
      if (frame.kind === 'push') {
        guids.push(...frame.envelopes.map((e) => e.guid));
        resolve();
      }
    });
  });
  ws.terminate();
  return guids;
}

test('migrate: a SQLite relay moves to PostgreSQL with its accounts, queues (same guids) and keys; new messages never reuse a guid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-migrate-'));
  const db = await createThrowawayDatabase();
  try {
    // A single-node relay on SQLite with some state.
    let server = await startServer(['--data-dir', dir, '--no-rate-limit', '--web-dir', 'off']);
    const alice = await registerDevice(server.base, 'alice');
    const bob = await registerDevice(server.base, 'bob');
    for (let i = 0; i < 5; i++) {
      const res = await call(
        server.base,
        'POST',
        '/v1/messages',
        alice.auth,
        sendBody(bob, `old-${String(i)}`, Buffer.from([i])),
      );
      assert.equal(res.status, 200);
    }
    // Two acknowledged and gone (their seqs must never come back), three still queued.
    const page = (await (await call(server.base, 'GET', '/v1/messages', bob.auth)).json()) as {
      messages: { guid: string }[];
    };
    const [first, second] = page.messages;
    assert.ok(first !== undefined && second !== undefined);
    await call(server.base, 'POST', '/v1/messages/acks', bob.auth, {
      guids: [first.guid, second.guid],
    });
    const queuedBefore = page.messages.slice(2).map((m) => m.guid);
    await stopServer(server);

    // The command.
    const out = await run(
      process.execPath,
      [...nodeEntry(MAIN), 'migrate', '--from-sqlite', dir, '--to', db.url],
      { cwd: ROOT },
    );
    assert.match(out.stdout, /accounts: 2 rows/);
    assert.match(out.stdout, /messages: 3 rows/);
    // A second run refuses: the target is no longer empty.
    await assert.rejects(
      run(process.execPath, [...nodeEntry(MAIN), 'migrate', '--from-sqlite', dir, '--to', db.url], {
        cwd: ROOT,
      }),
      (e: { stderr: string }) => /already holds accounts/.test(e.stderr),
    );

    // Queue depths (counter minus removals) count the three copied messages, not the counter.
    const migrated = await openPgStorage({ connectionString: db.url });
    assert.equal(await migrated.reader.messages.depth(bob.accountId, bob.deviceId), 3);
    await migrated.close();

    // The relay on PostgreSQL serves the same accounts, queue and guids.
    server = await startServer(['--no-rate-limit', '--web-dir', 'off'], { DATABASE_URL: db.url });
    try {
      assert.deepEqual(await pushedGuids(server.base, bob.accountId, bob.secret), queuedBefore);
      const res = await call(
        server.base,
        'POST',
        '/v1/messages',
        alice.auth,
        sendBody(bob, 'new-0', Buffer.from([9])),
      );
      assert.equal(res.status, 200);
      const all = await drain(server.base, bob);
      assert.deepEqual(
        all.map((m) => m.clientMessageId),
        ['old-2', 'old-3', 'old-4', 'new-0'],
      );
      const guids = new Set(all.map((m) => m.guid));
      assert.ok(!guids.has(first.guid) && !guids.has(second.guid));
      assert.equal(guids.size, 4);
      // Idempotency records came along: a retry of an old send is a duplicate.
      const retry = await call(
        server.base,
        'POST',
        '/v1/messages',
        alice.auth,
        sendBody(bob, 'old-0', Buffer.from([0])),
      );
      assert.equal(((await retry.json()) as { duplicate?: boolean }).duplicate, true);
    } finally {
      await stopServer(server);
    }
    const check = await openPgStorage({ connectionString: db.url });
    assert.equal((await check.reader.accounts.byUsername('alice'))?.accountId, alice.accountId);
    await check.close();
  } finally {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
