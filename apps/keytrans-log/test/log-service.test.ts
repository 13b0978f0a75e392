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
import { MAX_PUBLISH_BATCH, decodePublishBatch, encodePublishBatch } from '../src/publish-batch.js';
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

test('a publish batch lands in one entry, skips equal values, reports refusals by index', async () => {
  const s = service();
  const post = (items: { label: Uint8Array; value: Uint8Array }[]) =>
    s.app.inject({
      method: 'POST',
      url: '/kt/v1/publish',
      headers: octets,
      payload: Buffer.from(encodePublishBatch(items)),
    });
  const tick = () => new Promise((r) => setTimeout(r, 50));
  try {
    const labels = Array.from({ length: 50 }, (_, i) => te.encode(`label-${i}`));
    const sizeBefore = s.log.size;
    const first = post(labels.map((label) => ({ label, value: te.encode('v0') })));
    await tick();
    // An owner's Update holds `owned` for the next entry: a publication for it is refused.
    const owner = s.app.inject({
      method: 'POST',
      url: '/kt/v1/update?answer=none',
      headers: octets,
      payload: Buffer.from(
        encodeUpdateRequest({ label: te.encode('owned'), values: [te.encode('o')] }),
      ),
    });
    await tick();
    const clash = post([
      { label: te.encode('owned'), value: te.encode('x') },
      { label: te.encode('fresh'), value: te.encode('y') },
    ]);
    await tick();
    s.sequence();
    const answered = await first;
    assert.equal(answered.statusCode, 200);
    assert.deepEqual(answered.json(), { failed: [] });
    assert.equal((await owner).statusCode, 204);
    assert.deepEqual((await clash).json(), { failed: [{ index: 0, code: 'UPDATE_PENDING' }] });
    assert.equal(s.log.size, sizeBefore + 1, 'one entry holds the whole batch');
    for (const label of labels) assert.equal(s.log.greatest(label), 0);
    assert.equal(s.log.greatest(te.encode('fresh')), 0);
    const owned = s.log.labelVersion(te.encode('owned'), 0);
    assert.deepEqual(owned?.value, te.encode('o'), 'the refused value was not added');
    assert.equal(s.log.greatest(te.encode('owned')), 0);

    // Equal values are answered at once (nothing queued); a changed one is a new version.
    const same = await post([{ label: labels[0] as Uint8Array, value: te.encode('v0') }]);
    assert.deepEqual(same.json(), { failed: [] });
    assert.equal(s.log.hasPending, false);
    const changed = post([
      { label: labels[0] as Uint8Array, value: te.encode('v0') },
      { label: labels[1] as Uint8Array, value: te.encode('v1') },
    ]);
    await tick();
    assert.equal(s.log.isPending(labels[1] as Uint8Array), true);
    assert.equal(s.log.isPending(labels[0] as Uint8Array), false);
    s.sequence();
    assert.deepEqual((await changed).json(), { failed: [] });
    assert.equal(s.log.greatest(labels[1] as Uint8Array), 1);
    assert.equal(s.log.greatest(labels[0] as Uint8Array), 0);

    // Malformed or oversized batches are refused whole, and change nothing.
    const size = s.log.size;
    const garbage = await s.app.inject({
      method: 'POST',
      url: '/kt/v1/publish',
      headers: octets,
      payload: Buffer.from([0, 0, 0, 2, 1, 65]),
    });
    assert.equal(garbage.statusCode, 400);
    assert.equal(garbage.json<{ code: string }>().code, 'MALFORMED');
    const tooMany = new Uint8Array(4);
    new DataView(tooMany.buffer).setUint32(0, MAX_PUBLISH_BATCH + 1);
    assert.throws(() => decodePublishBatch(tooMany), { code: 'LIMIT_EXCEEDED' });
    const over = await s.app.inject({
      method: 'POST',
      url: '/kt/v1/publish',
      headers: octets,
      payload: Buffer.from(tooMany),
    });
    assert.equal(over.json<{ code: string }>().code, 'LIMIT_EXCEEDED');
    assert.equal(s.log.hasPending, false);
    assert.equal(s.log.size, size);
  } finally {
    await s.close();
  }
});
