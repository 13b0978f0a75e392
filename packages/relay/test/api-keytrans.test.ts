// Key transparency through the relay, with a recording bridge in place of the log: queries are
// forwarded byte for byte (the relay parses none), the log's refusals map to stable codes, no
// body or operation a client sends makes the relay fail, and committed account changes (only
// those) are published.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { KT_OPERATIONS, MAX_KT_QUERY_BYTES } from '@parley/api';
import type { KeyTransBridge, KtAccountChange, KtAnswer } from '@parley/relay';
import { b64, newRelay, randomKey, register } from './support.js';

function recordingBridge(answer: (op: string, body: Uint8Array) => KtAnswer | Error) {
  const queries: { op: string; body: Uint8Array }[] = [];
  const published: KtAccountChange[] = [];
  const bridge: KeyTransBridge = {
    config: () => Promise.resolve(Uint8Array.of(0, 2)),
    query: (op, body) => {
      queries.push({ op, body });
      const a = answer(op, body);
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
    publish: (change) => {
      published.push(change);
    },
  };
  return { bridge, queries, published };
}

test('KT queries are forwarded byte for byte and answered byte for byte', async () => {
  const rec = recordingBridge((_op, body) => ({ status: 200, body: body.slice().reverse() }));
  const app = await newRelay({ keyTransparency: rec.bridge });
  const alice = await register(app, 'ktalice');
  const config = await app.inject({
    method: 'GET',
    url: '/v1/kt/config',
    headers: { authorization: alice.auth },
  });
  assert.equal(config.statusCode, 200);
  assert.deepEqual([...config.rawPayload], [0, 2]);
  for (const op of KT_OPERATIONS) {
    const body = Buffer.from([1, 2, 3, op.length]);
    const r = await app.inject({
      method: 'POST',
      url: `/v1/kt/${op}`,
      headers: { authorization: alice.auth, 'content-type': 'application/octet-stream' },
      payload: body,
    });
    assert.equal(r.statusCode, 200);
    assert.deepEqual([...r.rawPayload], [...body].reverse());
  }
  assert.deepEqual(
    rec.queries.map((q) => q.op),
    [...KT_OPERATIONS],
  );
  const unauthenticated = await app.inject({
    method: 'POST',
    url: '/v1/kt/search',
    headers: { 'content-type': 'application/octet-stream' },
    payload: Buffer.from([1]),
  });
  assert.equal(unauthenticated.statusCode, 401);
  await app.close();
});

test('the log refusing or failing maps to KT_REFUSED / KT_UNAVAILABLE; no log is KT_UNAVAILABLE', async () => {
  let mode: 'refuse' | 'down' | 'timeout' | 'error' = 'refuse';
  const rec = recordingBridge(() =>
    mode === 'refuse'
      ? { status: 404, body: new Uint8Array(), code: 'NOT_FOUND' }
      : mode === 'down'
        ? new Error('ECONNREFUSED')
        : mode === 'timeout'
          ? new DOMException('The operation was aborted due to timeout', 'TimeoutError')
          : { status: 500, body: new Uint8Array(), code: 'INTERNAL' },
  );
  const app = await newRelay({ keyTransparency: rec.bridge });
  const alice = await register(app, 'ktalice');
  const ask = () =>
    app.inject({
      method: 'POST',
      url: '/v1/kt/search',
      headers: { authorization: alice.auth, 'content-type': 'application/octet-stream' },
      payload: Buffer.from([9]),
    });
  let r = await ask();
  assert.equal(r.statusCode, 422);
  assert.deepEqual(r.json(), {
    error: {
      code: 'KT_REFUSED',
      message: 'the key transparency log refused the query',
      details: { code: 'NOT_FOUND' },
    },
  });
  // A log that failed: the relay says why in `details.code` (so a client can report it).
  mode = 'down';
  r = await ask();
  assert.equal(r.statusCode, 503);
  assert.deepEqual(r.json<{ error: unknown }>().error, {
    code: 'KT_UNAVAILABLE',
    message: 'the key transparency log did not answer',
    details: { code: 'UNREACHABLE' },
  });
  mode = 'timeout';
  r = await ask();
  assert.deepEqual(r.json<{ error: { details: unknown } }>().error.details, { code: 'TIMEOUT' });
  mode = 'error';
  r = await ask();
  assert.equal(r.statusCode, 503);
  assert.deepEqual(r.json<{ error: { code: string; details: unknown } }>().error, {
    code: 'KT_UNAVAILABLE',
    message: 'the key transparency log did not answer',
    details: { code: 'INTERNAL' },
  });
  await app.close();

  const none = await newRelay();
  const bob = await register(none, 'ktbob');
  const c = await none.inject({
    method: 'GET',
    url: '/v1/kt/config',
    headers: { authorization: bob.auth },
  });
  assert.equal(c.statusCode, 503);
  assert.equal(c.json<{ error: { code: string } }>().error.code, 'KT_UNAVAILABLE');
  await none.close();
});

test('fuzz: any operation name and body gets a stable code, never INTERNAL', async () => {
  const rec = recordingBridge((_op, body) =>
    body.length % 2 === 0
      ? { status: 200, body }
      : { status: 400, body: new Uint8Array(), code: 'MALFORMED' },
  );
  const app = await newRelay({ keyTransparency: rec.bridge });
  const alice = await register(app, 'ktfuzz');
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.constantFrom(...KT_OPERATIONS, 'update', 'config', '..', ''), fc.string()),
      fc.uint8Array({ maxLength: 512 }),
      fc.constantFrom('application/octet-stream', 'application/json', 'text/plain'),
      async (op, body, type) => {
        const r = await app.inject({
          method: 'POST',
          url: `/v1/kt/${encodeURIComponent(op)}`,
          headers: { authorization: alice.auth, 'content-type': type },
          payload: Buffer.from(body),
        });
        assert.ok([200, 400, 404, 415, 422].includes(r.statusCode), `${r.statusCode} ${r.body}`);
      },
    ),
    { numRuns: 200, seed: 13 },
  );
  const big = await app.inject({
    method: 'POST',
    url: '/v1/kt/search',
    headers: { authorization: alice.auth, 'content-type': 'application/octet-stream' },
    payload: Buffer.alloc(MAX_KT_QUERY_BYTES + 1),
  });
  assert.equal(big.statusCode, 413);
  await app.close();
});

test('committed account changes are published; refused ones are not', async () => {
  const rec = recordingBridge(() => ({ status: 200, body: new Uint8Array() }));
  const app = await newRelay({ keyTransparency: rec.bridge });
  const alice = await register(app, 'KtCarol');
  const taken = await app.inject({
    method: 'POST',
    url: '/v1/accounts',
    payload: {
      username: 'ktcarol',
      identityKey: randomKey(),
      device: { secret: b64(new Uint8Array(32)), registrationId: 5, identityKey: randomKey() },
    },
  });
  assert.equal(taken.statusCode, 409);
  const put = (version: number) =>
    app.inject({
      method: 'PUT',
      url: '/v1/device-list',
      headers: { authorization: alice.auth },
      payload: { version, blob: b64(Uint8Array.of(version)) },
    });
  assert.equal((await put(2)).statusCode, 204);
  assert.equal((await put(1)).statusCode, 409, 'a stale version is refused and not published');
  assert.deepEqual(
    rec.published.map((c) => c.kind),
    ['registered', 'device-list'],
  );
  const first = rec.published[0];
  assert.ok(first?.kind === 'registered');
  assert.equal(first.username, 'ktcarol', 'normalised as the relay stores it');
  const del = await app.inject({
    method: 'DELETE',
    url: '/v1/accounts/me',
    headers: { authorization: alice.auth },
  });
  assert.equal(del.statusCode, 204);
  assert.deepEqual(rec.published.at(-1), {
    kind: 'deleted',
    accountId: alice.accountId,
    username: 'ktcarol',
  });
  await app.close();
});
