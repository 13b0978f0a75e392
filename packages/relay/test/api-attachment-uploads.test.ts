import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { limits } from '@parley/api';
import { relayLimits } from '@parley/relay';
import type { FastifyInstance } from 'fastify';
import { errorCode, link, newRelay, register } from './support.js';

const octets = { 'content-type': 'application/octet-stream' };

async function start(app: FastifyInstance, auth: string, size: number) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/attachments/uploads',
    headers: { authorization: auth },
    payload: { size },
  });
  return res;
}

function put(app: FastifyInstance, auth: string, id: string, offset: number, body: Uint8Array) {
  return app.inject({
    method: 'PUT',
    url: `/v1/attachments/uploads/${id}?offset=${offset}`,
    headers: { authorization: auth, ...octets },
    payload: Buffer.from(body),
  });
}

function download(app: FastifyInstance, auth: string, id: string, query = '') {
  return app.inject({
    method: 'GET',
    url: `/v1/attachments/blobs/${id}${query}`,
    headers: { authorization: auth },
  });
}

test('chunked upload: in order at the stored offset, resumable, downloadable in ranges once complete', async () => {
  let clock = 10_000;
  const app = await newRelay({ now: () => clock });
  const alice = await register(app, 'alice');
  const bob = await register(app, 'bob');
  const blob = randomBytes(2 * limits.MAX_BLOB_CHUNK_BYTES + 5);
  const created = await start(app, alice.auth, blob.length);
  assert.equal(created.statusCode, 201);
  const up = created.json<{ attachmentId: string; received: number; expiresAt: number }>();
  assert.match(up.attachmentId, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(up.received, 0);
  assert.equal(up.expiresAt, clock + relayLimits.UPLOAD_TTL_MS);
  const id = up.attachmentId;
  const C = limits.MAX_BLOB_CHUNK_BYTES;

  assert.equal(errorCode(await download(app, bob.auth, id)), 'ATTACHMENT_NOT_FOUND', 'incomplete');
  assert.equal((await put(app, alice.auth, id, 0, blob.subarray(0, C))).statusCode, 200);
  const again = await put(app, alice.auth, id, 0, blob.subarray(0, C));
  assert.equal(errorCode(again), 'UPLOAD_OFFSET_MISMATCH');
  assert.deepEqual(again.json<{ error: { details: unknown } }>().error.details, { received: C });
  assert.equal(
    errorCode(await put(app, bob.auth, id, C, blob.subarray(C, 2 * C))),
    'ATTACHMENT_NOT_FOUND',
  );
  const status = await app.inject({
    method: 'GET',
    url: `/v1/attachments/uploads/${id}`,
    headers: { authorization: alice.auth },
  });
  assert.equal(status.json<{ received: number }>().received, C);
  const tooBig = await put(app, alice.auth, id, C, new Uint8Array(C + 1));
  assert.equal(errorCode(tooBig), 'BODY_TOO_LARGE');
  assert.equal((await put(app, alice.auth, id, C, blob.subarray(C, 2 * C))).statusCode, 200);
  const past = await put(app, alice.auth, id, 2 * C, new Uint8Array(6));
  assert.equal(errorCode(past), 'INVALID_REQUEST');
  const done = await put(app, alice.auth, id, 2 * C, blob.subarray(2 * C));
  assert.equal(done.json<{ expiresAt: number }>().expiresAt, clock + relayLimits.ATTACHMENT_TTL_MS);

  const first = await download(app, bob.auth, id);
  assert.equal(first.headers['content-type'], 'application/octet-stream');
  assert.equal(first.rawPayload.length, C);
  const tail = await download(app, bob.auth, id, `?offset=${2 * C}`);
  assert.ok(Buffer.compare(tail.rawPayload, blob.subarray(2 * C)) === 0);
  const mid = await download(app, bob.auth, id, `?offset=10&length=7`);
  assert.ok(Buffer.compare(mid.rawPayload, blob.subarray(10, 17)) === 0);
  assert.equal((await download(app, bob.auth, id, `?offset=${blob.length}`)).rawPayload.length, 0);
  assert.equal(errorCode(await download(app, bob.auth, id, `?length=${C + 1}`)), 'INVALID_REQUEST');

  clock += relayLimits.ATTACHMENT_TTL_MS;
  assert.equal(errorCode(await download(app, bob.auth, id)), 'ATTACHMENT_NOT_FOUND', 'expired');
  await app.sweep();
  await app.close();
});

test('uploads: bounded size, per-account limits, owner device only, gone with the account', async () => {
  const app = await newRelay();
  const alice = await register(app, 'alice');
  const second = await link(app, alice);
  assert.equal(
    errorCode(await start(app, alice.auth, limits.MAX_BLOB_BYTES + 1)),
    'INVALID_REQUEST',
  );
  assert.equal(errorCode(await start(app, alice.auth, 0)), 'INVALID_REQUEST');
  const ids: string[] = [];
  for (let i = 0; i < relayLimits.MAX_INCOMPLETE_UPLOADS_PER_ACCOUNT; i++)
    ids.push((await start(app, alice.auth, 3)).json<{ attachmentId: string }>().attachmentId);
  assert.equal(errorCode(await start(app, alice.auth, 3)), 'TOO_MANY_UPLOADS');
  const id = ids[0] ?? '';
  assert.equal(
    errorCode(await put(app, second.auth, id, 0, new Uint8Array(3))),
    'ATTACHMENT_NOT_FOUND',
  );
  assert.equal((await put(app, alice.auth, id, 0, new Uint8Array(3))).statusCode, 200);
  assert.equal(
    (await start(app, alice.auth, 3)).statusCode,
    201,
    'a completed upload frees a place',
  );
  const anon = await app.inject({
    method: 'POST',
    url: '/v1/attachments/uploads',
    payload: { size: 3 },
  });
  assert.equal(errorCode(anon), 'UNAUTHORIZED');
  const del = await app.inject({
    method: 'DELETE',
    url: '/v1/accounts/me',
    headers: { authorization: alice.auth },
  });
  assert.equal(del.statusCode, 204);
  const bob = await register(app, 'bob');
  assert.equal(errorCode(await download(app, bob.auth, id)), 'ATTACHMENT_NOT_FOUND');
  await app.close();
});
