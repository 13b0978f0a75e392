// Linking when the primary cannot send its history: an archive whose upload the relay refuses
// does not stop the link; the device is linked and signed, and the new device reports that the
// history was not sent, with the relay's code. A hostile primary's malformed code is refused.
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ParleyClient } from '../src/client.js';
import type { BinaryFetchLike } from '../src/blob-http.js';
import { RelayHttp } from '../src/http.js';
import { MemoryBackend } from '../src/storage.js';
import { newClient, nodeFetch, primitives, startRelay, type TestRelay } from './harness.js';

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.close();
});

/** A relay that refuses every attachment upload, as it does past its upload bounds. */
const refusingUploads: BinaryFetchLike = async (url, init) => {
  if (init.method === 'POST' && new URL(url).pathname.startsWith('/v1/attachments')) {
    uploads++;
    return new Response(
      JSON.stringify({ error: { code: 'TOO_MANY_UPLOADS', message: 'too many uploads' } }),
      { status: 413, headers: { 'content-type': 'application/json' } },
    );
  }
  return fetch(url, init);
};
let uploads = 0;

test('a refused history upload links the device anyway; the new device says the history was not sent', async () => {
  const alice = new ParleyClient({
    backend: new MemoryBackend(),
    primitives,
    relay: new RelayHttp(relay.base, nodeFetch),
    binaryFetch: refusingUploads,
  });
  const bob = newClient(relay.base);
  const laptop = newClient(relay.base);
  const primary = await alice.register('nohist_alice');
  await bob.register('nohist_bob');
  await alice.send('nohist_bob', 'before the link');
  await bob.receive();

  const pending = await laptop.startLink();
  const [linkedId, linked] = await Promise.all([
    alice.approveLink(pending.code),
    pending.complete(),
  ]);
  ok(uploads >= 1, 'the primary tried to upload its history');
  strictEqual(linked.accountId, primary.accountId);
  strictEqual(linked.deviceId, linkedId);
  deepStrictEqual(pending.history(), { status: 'not sent', code: 'TOO_MANY_UPLOADS' });
  deepStrictEqual(laptop.history('nohist_bob'), []);
  // Linked for real: the device is in the signed list and receives.
  ok(
    (await alice.devices()).some((d) => d.deviceId === linkedId && d.signed),
    'the new device is signed into the list',
  );
  await bob.send('nohist_alice', 'after the link');
  const got = await laptop.receive();
  ok(
    got.some((e) => e.type === 'message' && e.message.text === 'after the link'),
    'the new device receives',
  );
});
