import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeerClient, peerCommand } from '../src/peer-client.js';
import { MAX_REQUEST_LINE_BYTES, boundedLines } from '../src/peer-protocol.js';
import { converse } from './conversation.js';

const root = new URL('../../../', import.meta.url).pathname;
const ours = () => new PeerClient(...peerCommand('interop/peer/src/main.ts'), root);

test('two of our JSON-lines peers hold a conversation (with and without a one-time prekey)', async () => {
  for (const oneTime of [true, false]) {
    const [a, b] = [ours(), ours()];
    await converse(a, b, oneTime);
    await Promise.all([a.close(), b.close()]);
  }
});

test('the peer answers malformed requests with ok:false and a code, in order', async () => {
  const peer = ours();
  const notJson = await peer.rawRequest('{"id": 9, "plaintext_hex": "73656372657"');
  assert.equal(notJson.ok, false);
  assert.equal(notJson['error'], 'request is not valid JSON');
  const noParty = await peer.request('bundle');
  assert.equal(noParty.ok, false);
  assert.equal(noParty['error_code'], 'INVALID_REQUEST');
  await peer.ok('init', { name: 'alice', device_id: 2, registration_id: 77 });
  const bad = await peer.request('decrypt', {
    from: { name: 'bob', device_id: 1 },
    type: 2,
    ciphertext_hex: '44zz',
  });
  assert.equal(bad['error_code'], 'INVALID_REQUEST');
  const garbage = await peer.request('decrypt', {
    from: { name: 'bob', device_id: 1 },
    type: 2,
    ciphertext_hex: '4401',
  });
  assert.equal(garbage.ok, false);
  assert.equal(garbage['error_code'], 'INVALID_MESSAGE');
  const info = await peer.ok('init', { as: 'carol', name: 'carol' });
  assert.deepEqual(info['address'], { name: 'carol', device_id: 1 });
  const second = await peer.ok('bundle', { as: 'carol' });
  assert.equal((second['bundle'] as Record<string, unknown>)['name'], 'carol');
  const first = await peer.ok('bundle');
  assert.equal((first['bundle'] as Record<string, unknown>)['name'], 'alice');
  await peer.close();
});

test('boundedLines: over-long lines become undefined without ending the stream', async () => {
  function* chunks() {
    yield Buffer.from('{"a":1}\n' + 'x'.repeat(10));
    yield Buffer.from('y'.repeat(10) + '\nlast');
  }
  const out: (string | undefined)[] = [];
  for await (const line of boundedLines(chunks(), 15)) out.push(line);
  assert.deepEqual(out, ['{"a":1}', undefined, 'last']);
});

test('the peer answers an over-long request with INVALID_REQUEST and keeps serving', async () => {
  const peer = ours();
  const long = await peer.rawRequest(
    `{"id":1,"op":"init","name":"${'n'.repeat(MAX_REQUEST_LINE_BYTES)}"}`,
  );
  assert.equal(long.ok, false);
  assert.equal(long['error_code'], 'INVALID_REQUEST');
  assert.equal((await peer.ok('init'))['ok'], true);
  await peer.close();
});
