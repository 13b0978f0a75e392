// The log service and the auditor as real processes, SQLite on disk: an owner registers and
// updates a label, a contact searches and monitors it, every response verified by
// @parley/keytrans; the log restarts from its database and stays consistent with what the
// clients retained.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  MemoryKeyTransStore,
  createSuite,
  decodeConfiguration,
  decodeDistinguishedResponse,
  decodeOwnerInitResponse,
  decodeSearchResponse,
  decodeUpdateResponse,
  encodeDistinguishedRequest,
  encodeOwnerInitRequest,
  encodeSearchRequest,
  encodeUpdateRequest,
  verifyDistinguished,
  verifyOwnerInit,
  verifySearch,
  verifyUpdate,
  type ClientContext,
} from '@parley/keytrans';
import { createNodePrimitives } from '@parley/primitives-node';
import { post, start, stop, type Proc } from './processes.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'parley-kt-'));
  dirs.push(d);
  return d;
}

const te = new TextEncoder();
const RMW = 1500;

async function startLog(
  data: string,
  auditorKey?: string,
  port = 0,
): Promise<{ proc: Proc; base: string }> {
  const proc = start('log-main.ts', [
    '--port',
    String(port),
    '--data',
    data,
    '--period',
    '150',
    '--rmw',
    String(RMW),
    '--max-auditor-lag',
    '20000',
    ...(auditorKey === undefined ? [] : ['--auditor-key', auditorKey]),
  ]);
  const m = await proc.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return { proc, base: m[1] as string };
}

async function until<T>(what: string, f: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

test('log and auditor processes: register, update, search, restart', async () => {
  const auditorData = tmp();
  const logData = tmp();
  const auditor = start('auditor-main.ts', ['--log', 'http://127.0.0.1:1', '--data', auditorData]);
  const key = (await auditor.waitFor(/public key ([0-9a-f]{64})/))[1] as string;
  await stop(auditor);
  let log = await startLog(logData, key);
  const auditing = start('auditor-main.ts', [
    '--log',
    log.base,
    '--data',
    auditorData,
    '--interval',
    '100',
  ]);
  try {
    const primitives = createNodePrimitives();
    const config = decodeConfiguration(
      new Uint8Array(await (await fetch(`${log.base}/kt/v1/config`)).arrayBuffer()),
    );
    assert.equal(config.mode, 3);
    const ctx: ClientContext = { suite: createSuite(primitives), config };
    const owner = new MemoryKeyTransStore();
    const bob = te.encode('bob');

    // Wait until the auditor has signed a head and some distinguished entry exists.
    await new Promise((r) => setTimeout(r, RMW + 500));
    const walk = await until('an audited head', async () => {
      const r = await post(log.base, '/kt/v1/distinguished', encodeDistinguishedRequest({}));
      return r.status === 200 ? r.body : undefined;
    });
    const distinguished = verifyDistinguished(
      ctx,
      owner,
      undefined,
      7 * RMW,
      decodeDistinguishedResponse(3, walk),
      Date.now(),
    );
    owner.commit(distinguished.changes);
    const startPos = Math.max(...distinguished.output.entries);
    const last = owner.head()?.treeHead.treeSize;
    const init = await post(
      log.base,
      '/kt/v1/owner-init',
      encodeOwnerInitRequest({
        label: bob,
        start: startPos,
        ...(last === undefined ? {} : { last }),
      }),
    );
    assert.equal(init.status, 200);
    owner.commit(
      verifyOwnerInit(ctx, owner, bob, startPos, decodeOwnerInitResponse(3, init.body), Date.now())
        .changes,
    );

    const request = {
      label: bob,
      values: [te.encode('bob-account-key')],
      last: owner.head()?.treeHead.treeSize ?? 1,
    };
    const updated = await post(log.base, '/kt/v1/update', encodeUpdateRequest(request));
    assert.equal(updated.status, 200, new TextDecoder().decode(updated.body));
    const u = verifyUpdate(ctx, owner, request, decodeUpdateResponse(3, updated.body), Date.now());
    assert.equal(u.output.foreign, false);
    owner.commit(u.changes);

    const contact = new MemoryKeyTransStore();
    const found = await until('an auditor head covering the update', async () => {
      const r = await post(log.base, '/kt/v1/search', encodeSearchRequest({ label: bob }));
      if (r.status !== 200) return undefined;
      try {
        return verifySearch(
          ctx,
          contact,
          bob,
          undefined,
          decodeSearchResponse(3, false, r.body),
          Date.now(),
        );
      } catch {
        return undefined;
      }
    });
    assert.deepEqual(found.output.value, te.encode('bob-account-key'));
    contact.commit(found.changes);

    const retained = contact.head()?.treeHead.treeSize ?? 0;
    await stop(log.proc);
    // Same address, so the running auditor follows the restarted log.
    log = await startLog(logData, key, Number(new URL(log.base).port));
    const again = await until('the restarted log', async () => {
      const r = await post(
        log.base,
        '/kt/v1/search',
        encodeSearchRequest({ label: bob, last: retained }),
      );
      if (r.status !== 200) return undefined;
      return verifySearch(
        ctx,
        contact,
        bob,
        undefined,
        decodeSearchResponse(3, false, r.body),
        Date.now(),
      );
    });
    assert.deepEqual(again.output.value, te.encode('bob-account-key'));
    assert.ok((again.changes.head?.treeHead.treeSize ?? 0) >= retained);
  } finally {
    await stop(auditing);
    await stop(log.proc);
  }
  assert.doesNotMatch(auditing.output(), /refused/);
});
