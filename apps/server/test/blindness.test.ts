import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { decodeServerFrame, encodeAck, encodeAuth } from '@parley/api';
import { MemoryBackend, ParleyClient, RelayHttp } from '@parley/client';
import { createNodePrimitives } from '@parley/primitives-node';
import { b64, call, registerDevice, sendBody } from './client.js';
import { startServer, stopServer } from './server-process.js';

/** A TCP proxy on 127.0.0.1 that records every byte in both directions. */
async function capturingProxy(
  target: URL,
): Promise<{ base: string; captured: () => Buffer; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    client.on('data', (d: Buffer) => chunks.push(d));
    upstream.on('data', (d: Buffer) => chunks.push(d));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    captured: () => Buffer.concat(chunks),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function seal(key: Buffer, text: string): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(text, 'utf8'), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]);
}

function open(key: Buffer, sealed: Buffer): string {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]).toString(
    'utf8',
  );
}

function readAll(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) parts.push(readFileSync(join(entry.parentPath, entry.name)));
  }
  return Buffer.concat(parts);
}

/** What an observer of the relay holds: its data directory, its logs and its traffic. */
type Haystacks = Readonly<Record<'data directory' | 'logs' | 'traffic', Buffer>>;

interface SdkPair {
  readonly alice: ParleyClient;
  readonly bob: ParleyClient;
  /** The two usernames. */
  readonly a: string;
  readonly b: string;
}

/**
 * A relay on a fresh data directory behind a capturing proxy, two SDK users registered through
 * the proxy, `exchange` run between them; then the relay stops (a graceful exit is asserted) and
 * `check` gets what an observer of the relay holds, and the data directory's path.
 */
async function sdkExchange(
  prefix: string,
  exchange: (pair: SdkPair) => Promise<void>,
  check: (haystacks: Haystacks, dir: string) => void,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `parley-blind-${prefix}-`));
  const server = await startServer(['--data-dir', dir, '--log-level', 'info', '--kt', 'off']);
  const proxy = await capturingProxy(new URL(server.base));
  try {
    const primitives = createNodePrimitives();
    const client = () =>
      new ParleyClient({
        backend: new MemoryBackend(),
        primitives,
        relay: new RelayHttp(proxy.base, (url, init) => fetch(url, init)),
      });
    const users = randomBytes(4).toString('hex');
    const pair = { alice: client(), bob: client(), a: `alice${users}`, b: `bob${users}` };
    await pair.alice.register(pair.a);
    await pair.bob.register(pair.b);
    await exchange(pair);
  } finally {
    await proxy.close();
    assert.equal(await stopServer(server), 0, 'graceful exit');
  }
  try {
    check(
      {
        'data directory': readAll(dir),
        logs: Buffer.from(server.output()),
        traffic: proxy.captured(),
      },
      dir,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test(
  'blindness: after a scripted exchange, no plaintext is in the data directory, the logs or the traffic',
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-blind-'));
    const server = await startServer(['--data-dir', dir, '--log-level', 'info']);
    const proxy = await capturingProxy(new URL(server.base));
    try {
      const key = randomBytes(32); // shared by the two clients only
      const canary = randomBytes(6).toString('hex');
      const plaintexts = Array.from({ length: 12 }, (_, i) => `secret plaintext ${i} ${canary}`);
      const alice = await registerDevice(proxy.base, `alice_${canary}`);
      const bob = await registerDevice(proxy.base, `bob_${canary}`);

      const ws = new WebSocket(`${proxy.base.replace('http', 'ws')}/v1/websocket`);
      const received: string[] = [];
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.on('message', (data: Buffer) => {
        const frame = decodeServerFrame(new Uint8Array(data));
        if (frame.kind === 'push') {
          for (const e of frame.envelopes) received.push(open(key, Buffer.from(e.content)));
          ws.send(encodeAck(frame.envelopes.at(-1)?.seq ?? 0));
        }
      });
      ws.send(encodeAuth(bob.accountId, 1, Buffer.from(bob.secret, 'base64')));

      for (const [i, text] of plaintexts.slice(0, 10).entries()) {
        const res = await call(
          proxy.base,
          'POST',
          '/v1/messages',
          alice.auth,
          sendBody(bob, `c${i}`, seal(key, text)),
        );
        assert.equal(res.status, 200);
      }
      const attachment = await fetch(`${proxy.base}/v1/attachments`, {
        method: 'POST',
        headers: { authorization: alice.auth, 'content-type': 'application/octet-stream' },
        body: seal(key, plaintexts[10] ?? ''),
      });
      assert.equal(attachment.status, 201);
      const list = await call(proxy.base, 'PUT', '/v1/device-list', alice.auth, {
        version: 1,
        blob: b64(seal(key, plaintexts[11] ?? '')),
      });
      assert.equal(list.status, 204);
      const deadline = Date.now() + 10_000;
      while (received.length < 10 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(
        received,
        plaintexts.slice(0, 10),
        'the clients can read what the relay cannot',
      );
      ws.close();
    } finally {
      await proxy.close();
      assert.equal(await stopServer(server), 0, 'graceful exit');
    }
    try {
      const haystacks = {
        'data directory': readAll(dir),
        logs: Buffer.from(server.output()),
        traffic: proxy.captured(),
      };
      assert.ok(haystacks.traffic.length > 10_000, 'traffic was captured');
      assert.ok(haystacks.logs.includes('"route":"/v1/messages"'), 'requests were logged');
      for (const [where, bytes] of Object.entries(haystacks)) {
        for (const needle of ['secret plaintext', 'plaintext']) {
          assert.equal(bytes.includes(Buffer.from(needle)), false, `"${needle}" found in ${where}`);
        }
      }
      assert.equal(
        haystacks.logs.includes(Buffer.from('alice_')),
        false,
        'no usernames in info logs',
      );
      assert.equal(haystacks.logs.includes(Buffer.from('Basic ')), false, 'no credentials in logs');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'blindness: an attachment sent with the SDK leaves no file content, name, type or text in the data directory, the logs or the traffic',
  { timeout: 60_000 },
  async () => {
    const canary = randomBytes(6).toString('hex');
    const file = Buffer.concat([
      Buffer.from(`file content ${canary} `.repeat(2000)),
      randomBytes(300_000),
    ]);
    const name = `holiday-${canary}.jpg`;
    const contentType = `image/x-${canary}`;
    const text = `caption ${canary}`;
    await sdkExchange(
      'att',
      async ({ alice, bob, b }) => {
        const pointer = await alice.uploadAttachment({
          size: file.length,
          chunks: (async function* () {
            for (let i = 0; i < file.length; i += 65_536) {
              await Promise.resolve();
              yield file.subarray(i, i + 65_536);
            }
          })(),
          name,
          contentType,
        });
        await alice.send(b, text, { attachments: [pointer] });
        const events = await bob.receive();
        const got = events.flatMap((e) => (e.type === 'message' ? [e.message] : []));
        const first = got.at(0);
        assert.ok(first !== undefined);
        assert.equal(first.text, text);
        const parts: Uint8Array[] = [];
        await bob.downloadAttachment(first.attachments?.at(0) ?? pointer, (bytes) => {
          parts.push(bytes.slice());
        });
        assert.ok(Buffer.concat(parts).equals(file), 'the clients can read what the relay cannot');
      },
      (haystacks, dir) => {
        assert.ok(haystacks.traffic.length > file.length, 'the blob crossed the proxy');
        assert.ok(readdirSync(join(dir, 'blobs')).length > 0, 'the blob is stored on disk');
        for (const [where, bytes] of Object.entries(haystacks)) {
          for (const needle of [canary, 'file content', file.subarray(file.length - 64)]) {
            assert.equal(bytes.includes(needle), false, `attachment data found in ${where}`);
          }
        }
      },
    );
  },
);

test(
  'blindness: sealed sends leave no sender account id, username or device id in the stored rows, the logs or the traffic of the sends and their delivery',
  { timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-blind-sealed-'));
    const server = await startServer(['--data-dir', dir, '--log-level', 'info', '--kt', 'off']);
    // Everything else goes through `setup`; the sealed sends and their delivery through `sealed`.
    const setup = await capturingProxy(new URL(server.base));
    const sealed = await capturingProxy(new URL(server.base));
    const canary = randomBytes(6).toString('hex');
    const users = randomBytes(4).toString('hex');
    const [aliceName, bobName] = [`alice${users}`, `bob${users}`];
    /** The two account ids, and where the sealed phase starts in the `sealed` capture. */
    const seen = { aliceId: '', bobId: '', from: 0 };
    const sealedRows = (): { sender_account: string; sender_device: number }[] => {
      const db = new Database(join(dir, 'parley.sqlite'), { readonly: true });
      try {
        return db
          .prepare<[], { sender_account: string; sender_device: number }>(
            'SELECT sender_account, sender_device FROM messages WHERE type = 6',
          )
          .all();
      } finally {
        db.close();
      }
    };
    try {
      const primitives = createNodePrimitives();
      // Only what goes to bob: alice's sealed sends to him, and his fetches.
      const toBob = (url: string, init: { headers: Record<string, string>; body?: string }) => {
        const path = new URL(url).pathname;
        if (path === '/v1/sealed-sender/messages')
          return (JSON.parse(init.body ?? '{}') as { accountId?: string }).accountId === seen.bobId;
        const auth = init.headers['authorization'] ?? '';
        const caller = Buffer.from(auth.slice('Basic '.length), 'base64').toString('utf8');
        return path === '/v1/messages' && seen.bobId !== '' && caller.startsWith(`${seen.bobId}.`);
      };
      const routed = (url: string, init: { headers: Record<string, string>; body?: string }) =>
        `${toBob(url, init) ? sealed.base : setup.base}${url.slice(server.base.length)}`;
      const client = () =>
        new ParleyClient({
          backend: new MemoryBackend(),
          primitives,
          relay: new RelayHttp(server.base, (url, init) => fetch(routed(url, init), init)),
        });
      const alice = client();
      const bob = client();
      seen.aliceId = (await alice.register(aliceName)).accountId;
      seen.bobId = (await bob.register(bobName)).accountId;
      // First contact (authenticated) carries the profile keys both ways.
      assert.equal((await alice.send(bobName, 'first')).sealed, false);
      await bob.receive();
      await alice.receive();
      seen.from = sealed.captured().length;
      const texts = [0, 1, 2].map((i) => `sealed ${i} ${canary}`);
      for (const t of texts) assert.equal((await alice.send(bobName, t)).sealed, true);
      const rows = sealedRows();
      assert.ok(rows.length >= texts.length, 'the sealed sends are stored');
      assert.ok(rows.every((r) => r.sender_account === '' && r.sender_device === 0));
      const got = (await bob.receive()).flatMap((e) =>
        e.type === 'message' ? [`${e.from}: ${e.message.text}`] : [],
      );
      assert.deepEqual(
        got,
        texts.map((t) => `${aliceName}: ${t}`),
      );
    } finally {
      await setup.close();
      await sealed.close();
      assert.equal(await stopServer(server), 0, 'graceful exit');
    }
    try {
      const { aliceId, bobId, from } = seen;
      assert.ok(aliceId !== '' && from > 0, 'the exchange ran');
      const traffic = sealed.captured().subarray(from);
      const logs = Buffer.from(server.output());
      assert.ok(traffic.includes('POST /v1/sealed-sender/messages'), 'sealed sends were captured');
      assert.ok(traffic.includes(bobId), 'the recipient is visible, as documented');
      assert.ok(logs.includes('"route":"/v1/sealed-sender/messages"'), 'requests were logged');
      const envelopes = traffic.toString('latin1').match(/"senderAccountId":"[^"]*"/g) ?? [];
      assert.ok(envelopes.length >= 3, 'the deliveries were captured');
      for (const e of envelopes) assert.equal(e, '"senderAccountId":""', 'a sender in a delivery');
      assert.equal(/"senderDeviceId":[1-9]/.test(traffic.toString('latin1')), false);
      for (const [where, bytes] of Object.entries({ 'sealed traffic': traffic, logs })) {
        for (const needle of [aliceId, aliceName, canary])
          assert.equal(bytes.includes(needle), false, `"${needle}" found in ${where}`);
      }
      assert.equal(readAll(dir).includes(canary), false, 'plaintext in the data directory');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'blindness: reactions, edits, typing and disappearing timers (1:1 and group) leave no reaction, text or timer in the data directory, the logs or the traffic',
  { timeout: 60_000 },
  async () => {
    const canary = randomBytes(6).toString('hex');
    const reaction = `r${canary}`;
    // An unusual timer, so that its digits in plain would be found.
    const timer = 1_234_567;
    await sdkExchange(
      'actions',
      async ({ alice, bob, a, b }) => {
        alice.setTypingIndicators(true);
        bob.setTypingIndicators(true);
        const { messageId } = await alice.send(b, `text ${canary}`);
        await bob.receive();
        await bob.react(a, messageId, reaction);
        await alice.edit(b, messageId, `edited ${canary}`);
        await alice.setDisappearingTimer({ username: b }, timer);
        await alice.sendTyping({ username: b }, true);
        const { groupId } = await alice.createGroup(`group ${canary}`, [b]);
        await bob.receive();
        const g = await alice.sendToGroup(groupId, `group text ${canary}`);
        await bob.receive();
        await bob.actInGroup(groupId, g.messageId, {
          kind: 'reaction',
          emoji: reaction,
          remove: false,
        });
        await bob.setDisappearingTimer({ group: groupId }, timer);
        const seen = await alice.receive();
        assert.ok(
          seen.some((e) => e.type === 'group-message-updated' && e.message.reactions !== undefined),
          'the clients see the reaction the relay cannot',
        );
        assert.equal(alice.disappearingTimer({ group: groupId }), timer);
        assert.equal(bob.disappearingTimer({ username: a }), timer);
      },
      (haystacks) => {
        for (const [where, bytes] of Object.entries(haystacks)) {
          for (const needle of [canary, String(timer), '"emoji"', '"seconds"', '"typing"']) {
            assert.equal(bytes.includes(needle), false, `"${needle}" found in ${where}`);
          }
        }
      },
    );
  },
);

test(
  'blindness: sealed group messages and commits leave no sender in the stored rows, the handshake log, their log lines or their requests',
  { timeout: 60_000 },
  async () => {
    const ids = { alice: '', bob: '' };
    await sdkExchange(
      'sealed-groups',
      async ({ alice, bob, b }) => {
        ids.alice = alice.account?.accountId ?? '';
        ids.bob = bob.account?.accountId ?? '';
        // The add is a sealed commit (with its Welcome); the message goes sealed. Nobody
        // receives, so every queued row is still in the data directory.
        const { groupId } = await alice.createGroup('sealed group', [b]);
        const sent = await alice.sendToGroup(groupId, 'hello');
        assert.ok(sent.status === 'sent' && sent.sealed, 'the message went sealed');
      },
      (haystacks, dir) => {
        assert.ok(ids.alice !== '' && ids.bob !== '', 'the exchange ran');
        const db = new Database(join(dir, 'parley.sqlite'), { readonly: true });
        try {
          const rows = db
            .prepare<[], { type: number; sender_account: string; sender_device: number }>(
              'SELECT type, sender_account, sender_device FROM messages WHERE type >= 32',
            )
            .all();
          // bob: the Welcome and the message; alice: the echoes of her commit and message.
          assert.deepEqual(rows.map((r) => r.type).sort(), [32, 33, 34, 34]);
          assert.ok(rows.every((r) => r.sender_account === '' && r.sender_device === 0));
          const log = db
            .prepare<[], { sender_account: string; sender_device: number }>(
              'SELECT sender_account, sender_device FROM group_handshakes',
            )
            .all();
          assert.equal(log.length, 1);
          assert.ok(log.every((r) => r.sender_account === '' && r.sender_device === 0));
        } finally {
          db.close();
        }
        const lines = haystacks.logs
          .toString('utf8')
          .split('\n')
          .filter((l) => l.includes('/sealed-messages') || l.includes('/sealed-commits'));
        assert.ok(lines.length >= 2, 'the sealed group requests were logged');
        for (const l of lines) assert.equal(l.includes(ids.alice), false, 'a sender in a log line');
        const traffic = haystacks.traffic.toString('latin1');
        const posts = [...traffic.matchAll(/POST \/v1\/groups\/[^ ]+\/sealed-(messages|commits)/g)];
        assert.equal(posts.length, 2, 'both sealed posts were captured');
        for (const p of posts) {
          const head = traffic.slice(p.index, traffic.indexOf('\r\n\r\n', p.index));
          assert.equal(/authorization/i.test(head), false, 'a credential on a sealed post');
          assert.equal(head.includes(ids.alice), false);
        }
      },
    );
  },
);
