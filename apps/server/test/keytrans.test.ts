// The default server runs a key transparency log of its own (a child process) and publishes
// registrations into it; a client's queries go through the relay as bytes and verify.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  MemoryKeyTransStore,
  accountKeyLabel,
  createSuite,
  decodeAccountKeyValue,
  decodeConfiguration,
  decodeSearchResponse,
  decodeUsernameValue,
  encodeSearchRequest,
  usernameLabel,
  verifySearch,
  type ClientContext,
} from '@parley/keytrans';
import { createNodePrimitives } from '@parley/primitives-node';
import { b64, call } from './client.js';
import { startServer, stopServer } from './server-process.js';

async function octets(base: string, path: string, auth: string, body?: Uint8Array) {
  const r = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: auth,
      ...(body === undefined ? {} : { 'content-type': 'application/octet-stream' }),
    },
    ...(body === undefined ? {} : { body }),
  });
  return { status: r.status, body: new Uint8Array(await r.arrayBuffer()) };
}

test(
  'npm start default: the log runs beside the relay, registrations are published and verify',
  { timeout: 90_000 },
  async () => {
    const server = await startServer(['--storage', 'memory', '--kt-period', '200']);
    try {
      const secret = b64(randomBytes(32));
      const identityKey = randomBytes(33);
      const res = await call(server.base, 'POST', '/v1/accounts', undefined, {
        username: 'Alice',
        identityKey: b64(identityKey),
        device: { secret, registrationId: 7, identityKey: b64(randomBytes(33)) },
      });
      assert.equal(res.status, 201);
      const { accountId } = (await res.json()) as { accountId: string };
      const auth = `Basic ${Buffer.from(`${accountId}.1:${secret}`).toString('base64')}`;

      const cfg = await octets(server.base, '/v1/kt/config', auth);
      assert.equal(cfg.status, 200);
      const config = decodeConfiguration(cfg.body);
      assert.equal(config.mode, 1, 'contact monitoring without an auditor');
      const ctx: ClientContext = { suite: createSuite(createNodePrimitives()), config };

      const search = async (label: Uint8Array) => {
        for (let i = 0; i < 200; i++) {
          const r = await octets(
            server.base,
            '/v1/kt/search',
            auth,
            encodeSearchRequest({ label }),
          );
          if (r.status === 200) {
            const store = new MemoryKeyTransStore();
            return verifySearch(
              ctx,
              store,
              label,
              undefined,
              decodeSearchResponse(1, false, r.body),
              Date.now(),
            ).output;
          }
          assert.equal(r.status, 422, 'not in the log yet: KT_REFUSED');
          const e = JSON.parse(new TextDecoder().decode(r.body)) as {
            error: { code: string; details: { code: string } };
          };
          assert.deepEqual([e.error.code, e.error.details.code], ['KT_REFUSED', 'NOT_FOUND']);
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('never published');
      };
      const name = await search(usernameLabel('alice'));
      assert.equal(decodeUsernameValue(name.value), accountId);
      const key = await search(accountKeyLabel(accountId));
      assert.deepEqual(decodeAccountKeyValue(key.value).publicKey, Uint8Array.from(identityKey));

      // Garbage is the log's to refuse; the relay passes it through and stays up.
      const bad = await octets(server.base, '/v1/kt/search', auth, Uint8Array.of(1, 2, 3));
      assert.equal(bad.status, 422);
      const unknownOp = await octets(server.base, '/v1/kt/update', auth, Uint8Array.of(0));
      assert.equal(unknownOp.status, 400, 'updates are not forwarded');
    } finally {
      assert.equal(await stopServer(server), 0);
    }
    assert.match(server.output(), /key transparency log at http:\/\/127\.0\.0\.1:\d+ \(child/);
    assert.match(server.output(), /parley-keytrans-log: (SIGTERM|parent gone), shutting down/);
  },
);

test('--kt off: KT routes answer KT_UNAVAILABLE', { timeout: 60_000 }, async () => {
  const server = await startServer(['--storage', 'memory', '--kt', 'off']);
  try {
    const secret = b64(randomBytes(32));
    const res = await call(server.base, 'POST', '/v1/accounts', undefined, {
      username: 'bob',
      identityKey: b64(randomBytes(33)),
      device: { secret, registrationId: 7, identityKey: b64(randomBytes(33)) },
    });
    const { accountId } = (await res.json()) as { accountId: string };
    const auth = `Basic ${Buffer.from(`${accountId}.1:${secret}`).toString('base64')}`;
    const r = await octets(server.base, '/v1/kt/config', auth);
    assert.equal(r.status, 503);
    assert.match(new TextDecoder().decode(r.body), /KT_UNAVAILABLE/);
  } finally {
    await stopServer(server);
  }
});
