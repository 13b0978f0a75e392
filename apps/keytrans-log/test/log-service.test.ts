// The log service's HTTP edge through Fastify's inject: stable error codes and statuses,
// nothing a client sends crashes it, an update is answered only after its entry is stored.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  KT_128_SHA256_ED25519,
  createSuite,
  decodeUpdateResponse,
  encodeSearchRequest,
  encodeUpdateRequest,
} from '@parley/keytrans';
import { createNodePrimitives } from '@parley/primitives-node';
import { createLogService } from '../src/log-service.js';
import { MemoryLogStorage } from '../src/storage.js';

function service(): ReturnType<typeof createLogService> & { storage: MemoryLogStorage } {
  const primitives = createNodePrimitives();
  const suite = createSuite(primitives);
  const keys = { signingKey: primitives.randomBytes(32), vrfKey: primitives.randomBytes(32) };
  const storage = new MemoryLogStorage();
  let now = 1_767_225_600_000;
  const s = createLogService({
    storage,
    primitives,
    keys,
    config: {
      ciphersuite: KT_128_SHA256_ED25519,
      mode: 1,
      signaturePublicKey: primitives.ed25519.publicKey(keys.signingKey),
      vrfPublicKey: suite.vrfPublicKey(keys.vrfKey),
      leafPublicKey: new Uint8Array(),
      maxAhead: 60_000,
      maxBehind: 3_600_000,
      reasonableMonitoringWindow: 600_000,
    },
    period: 60_000,
    recentWindow: 3_600_000,
    now: () => (now += 60_000),
  });
  return Object.assign(s, { storage });
}

const octets = { 'content-type': 'application/octet-stream' };
const te = new TextEncoder();

test('errors have stable codes and statuses; an update waits for its entry to be stored', async () => {
  const s = service();
  try {
    const missing = await s.app.inject({
      method: 'POST',
      url: '/kt/v1/search',
      headers: octets,
      payload: Buffer.from(encodeSearchRequest({ label: te.encode('nobody') })),
    });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json<{ code: string }>().code, 'NOT_FOUND');
    const garbage = await s.app.inject({
      method: 'POST',
      url: '/kt/v1/search',
      headers: octets,
      payload: Buffer.from([2, 0, 0]),
    });
    assert.equal(garbage.statusCode, 400);
    assert.equal(garbage.json<{ code: string }>().code, 'MALFORMED');
    const json = await s.app.inject({
      method: 'POST',
      url: '/kt/v1/search',
      payload: { label: 'x' },
    });
    assert.ok(json.statusCode >= 400 && json.statusCode < 500);

    const request = { label: te.encode('bob'), values: [te.encode('key-0')] };
    const pending = s.app.inject({
      method: 'POST',
      url: '/kt/v1/update',
      headers: octets,
      payload: Buffer.from(encodeUpdateRequest(request)),
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = await s.app.inject({
      method: 'POST',
      url: '/kt/v1/update',
      headers: octets,
      payload: Buffer.from(encodeUpdateRequest(request)),
    });
    assert.equal(second.statusCode, 409);
    assert.equal(second.json<{ code: string }>().code, 'UPDATE_PENDING');
    const entriesBefore = [...s.storage.entries()].length;
    s.sequence();
    const answered = await pending;
    assert.equal(answered.statusCode, 200);
    assert.equal(
      [...s.storage.entries()].length,
      entriesBefore + 1,
      'the entry was stored before the answer',
    );
    const response = decodeUpdateResponse(1, new Uint8Array(answered.rawPayload));
    assert.equal(response.position, entriesBefore);
    assert.equal(response.values.length, 0);
    const stale = await s.app.inject({
      method: 'POST',
      url: '/kt/v1/update',
      headers: octets,
      payload: Buffer.from(encodeUpdateRequest(request)),
    });
    assert.equal(stale.statusCode, 400);
    assert.equal(stale.json<{ code: string }>().code, 'INVALID_REQUEST');
  } finally {
    await s.close();
  }
});
