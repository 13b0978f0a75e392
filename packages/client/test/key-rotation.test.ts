// Signed-prekey rotation against the real relay (in process), on a clock the test moves: the
// signed prekey and the last-resort Kyber prekey are replaced every SIGNED_PREKEY_ROTATION_MS,
// a PreKey message made from the old bundle still decrypts after the rotation, and a replaced
// key is deleted once RETIRED_KEY_GRACE_MS has passed.
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ParleyClient } from '../src/client.js';
import { RelayHttp } from '../src/http.js';
import { RETIRED_KEY_GRACE_MS, SIGNED_PREKEY_ROTATION_MS } from '../src/limits.js';
import { MemoryBackend } from '../src/storage.js';
import { nodeFetch, primitives, startRelay, type TestRelay } from './harness.js';

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.close();
});

const DAY = 24 * 60 * 60 * 1000;

test('signed and last-resort prekeys rotate, old ones serve late PreKey messages, then go', async () => {
  let clock = Date.now();
  const backend = new MemoryBackend();
  const client = (b: MemoryBackend): ParleyClient =>
    new ParleyClient({
      backend: b,
      primitives,
      relay: new RelayHttp(relay.base, nodeFetch),
      now: () => clock,
    });
  const alice = client(backend);
  const bob = client(new MemoryBackend());
  await alice.register('rot_alice');
  await bob.register('rot_bob');
  const served = async (): Promise<{ signed: number; kyber: number }> => {
    const a = alice.account;
    ok(a !== undefined);
    const b = bob.account;
    ok(b !== undefined);
    const res = await new RelayHttp(relay.base, nodeFetch).bundles(
      { accountId: b.accountId, deviceId: b.deviceId, secret: b.secret },
      a.accountId,
      a.deviceId,
    );
    const d = res.devices[0];
    ok(d?.signedPreKey != null && d.kyberPreKey != null);
    return { signed: d.signedPreKey.keyId, kyber: d.kyberPreKey.keyId };
  };

  // The first check only notes the time; nothing is due yet.
  strictEqual(await alice.rotateSignedPreKeys(), false);
  clock += SIGNED_PREKEY_ROTATION_MS - 1;
  strictEqual(await alice.rotateSignedPreKeys(), false);
  strictEqual((await served()).signed, 1);

  // bob makes his session from the current bundle; his PreKey message waits in the queue.
  await bob.send('rot_alice', 'made from the old bundle');
  clock += 2;
  strictEqual(await alice.rotateSignedPreKeys(), true);
  const now = await served();
  strictEqual(now.signed, 2);
  ok(now.kyber !== 1, 'the last-resort Kyber key was replaced too');
  ok(backend.get('signed-prekey', '1') !== undefined, 'the old key is kept for late messages');

  // The late PreKey message still decrypts with the replaced key.
  const got = await alice.receive();
  deepStrictEqual(
    got.flatMap((e) => (e.type === 'message' ? [e.message.text] : [])),
    ['made from the old bundle'],
  );

  // Rotations continue; once the grace period has passed, the first replaced key is deleted.
  clock += RETIRED_KEY_GRACE_MS - DAY;
  strictEqual(await alice.rotateSignedPreKeys(), true);
  ok(backend.get('signed-prekey', '1') !== undefined, 'still within the grace period');
  clock += 2 * DAY + SIGNED_PREKEY_ROTATION_MS;
  strictEqual(await alice.rotateSignedPreKeys(), true);
  strictEqual(backend.get('signed-prekey', '1'), undefined);
  strictEqual(backend.get('kyber-prekey', '1'), undefined);
  ok(backend.get('signed-prekey', '3') !== undefined, 'replaced within the grace period: kept');
  strictEqual((await served()).signed, 4);

  // A new session from the current bundle works end to end.
  const carol = client(new MemoryBackend());
  await carol.register('rot_carol');
  await carol.send('rot_alice', 'made from the new bundle');
  deepStrictEqual(
    (await alice.receive()).flatMap((e) => (e.type === 'message' ? [e.message.text] : [])),
    ['made from the new bundle'],
  );
});
