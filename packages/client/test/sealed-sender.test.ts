// Sealed sender in the SDK against a real relay with a certificate issuer: profile keys travel
// inside messages, the second message goes sealed (the relay stores it with no sender), the
// receiver learns the sender only by opening it; a relay that serves a forged, expired or
// foreign certificate gets RELAY_INCONSISTENT and nothing is stored; a sealed envelope with a
// certificate from another trust root is dropped; a rotated profile key revokes the old token.
import { deepStrictEqual, ok, rejects, strictEqual } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { limits, type Envelope } from '@parley/api';
import { fromBase64, toBase64 } from '@parley/bytes';
import {
  SealedContentType,
  createContent,
  createSenderCertificate,
  createServerCertificate,
  deserializeIdentityKeyPair,
  deserializePublicKey,
  generateIdentityKeyPair,
  parseSenderCertificate,
  sealV1,
  serializePublicKey,
} from '@parley/protocol';
import { createMemoryStorage, createRelay, type SenderCertificateIssuer } from '@parley/relay';
import type { ClientEvent, ParleyClient } from '../src/client.js';
import { ClientError } from '../src/errors.js';
import { SEALED_NS } from '../src/sealed-sender.js';
import { MemoryBackend } from '../src/storage.js';
import { newClient, nodeFetch, primitives as p } from './harness.js';
import { startHostileRelay, type HostileRelay } from './hostile-relay.js';

const LIFETIME_MS = 24 * 3600 * 1000;

/** A deployment's keys and issuer, as apps/server makes them. */
function issuer(lifetimeMs = LIFETIME_MS): SenderCertificateIssuer & {
  forge(
    accountId: string,
    deviceId: number,
    identityKey: Uint8Array,
    expiresAt: number,
  ): Uint8Array;
} {
  const root = generateIdentityKeyPair(p);
  const serverKey = generateIdentityKeyPair(p);
  const server = createServerCertificate(p, 1, serverKey.publicKey, root.privateKey);
  const forge = (accountId: string, deviceId: number, identityKey: Uint8Array, expiresAt: number) =>
    createSenderCertificate(
      p,
      {
        senderUuid: accountId,
        senderDeviceId: deviceId,
        expiration: expiresAt,
        identityKey: deserializePublicKey(identityKey),
      },
      server,
      serverKey.privateKey,
    ).serialized;
  return {
    trustRoot: serializePublicKey(root.publicKey),
    issue: (device, now) => ({
      certificate: forge(device.accountId, device.deviceId, device.identityKey, now + lifetimeMs),
      expiresAt: now + lifetimeMs,
    }),
    forge,
  };
}

const storage = createMemoryStorage();
const deployment = issuer();
let base: string;
let closeRelay: () => Promise<void>;
let hostile: HostileRelay;
before(async () => {
  const app = await createRelay({
    storage,
    rateLimits: false,
    sweepIntervalMs: false,
    sealedSender: deployment,
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  closeRelay = () => app.close();
  hostile = await startHostileRelay(base);
});
after(async () => {
  await hostile.close();
  await closeRelay();
});

const isCode = (code: string) => (e: unknown) => e instanceof ClientError && e.code === code;
const texts = (events: readonly ClientEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'message' ? [`${e.from}: ${e.message.text}`] : []));

/** Two users who have exchanged profile keys (one message each way, then a receive). */
async function pair(
  a: string,
  b: string,
  make: () => ParleyClient = () => newClient(base, nodeFetch, new MemoryBackend()),
): Promise<[ParleyClient, ParleyClient]> {
  const [x, y] = [make(), make()];
  await x.register(a);
  await y.register(b);
  strictEqual((await x.send(b, 'first')).sealed, false, 'no token for a stranger yet');
  deepStrictEqual(texts(await y.receive()), [`${a}: first`]);
  await x.receive();
  return [x, y];
}

test('the second message goes sealed: stored with no sender, opened with the sender known', async () => {
  const [alice, bob] = await pair('ssalice', 'ssbob');
  const sent = await alice.send('ssbob', 'sealed hello');
  strictEqual(sent.sealed, true);
  const bobId = bob.account?.accountId ?? '';
  const queued = await storage.reader.messages.list(bobId, 1, 0, 100);
  const sealed = queued.filter((m) => m.type === limits.SEALED_SENDER_ENVELOPE_TYPE);
  strictEqual(sealed.length, 1);
  strictEqual(sealed[0]?.senderAccountId, '');
  strictEqual(sealed[0].senderDeviceId, 0);
  // The relay's copy carries a fresh id, not the message's (which an authenticated post of the
  // same message to alice's own devices would carry): nothing joins the two posts but timing.
  ok(sealed[0].clientMessageId !== sent.messageId);
  deepStrictEqual(texts(await bob.receive()), ['ssalice: sealed hello']);
  // And back: bob holds alice's key since her first message; his receipt went sealed too.
  strictEqual((await bob.send('ssalice', 'sealed reply')).sealed, true);
  const forAlice = await storage.reader.messages.list(alice.account?.accountId ?? '', 1, 0, 100);
  ok(forAlice.length >= 2, 'the receipt and the reply');
  ok(
    forAlice.every(
      (m) => m.senderAccountId === '' && m.type === limits.SEALED_SENDER_ENVELOPE_TYPE,
    ),
  );
  deepStrictEqual(texts(await alice.receive()), ['ssbob: sealed reply']);
});

test('our other devices\u2019 copies go sealed too: no sender stored, synced on the laptop, this device\u2019s own copy dropped silently', async () => {
  const make = (): ParleyClient => newClient(base, nodeFetch, new MemoryBackend());
  const [alice, bob] = await pair('sysalice', 'sysbob');
  // The laptop is linked after the pair, so it learns the account's profile key from the phone.
  const laptop = make();
  const pending = await laptop.startLink();
  await Promise.all([alice.approveLink(pending.code), pending.complete()]);
  await laptop.receive();
  await alice.receive();
  await bob.receive();
  const aliceId = alice.account?.accountId ?? '';
  const laptopId = laptop.account?.deviceId ?? 0;
  const before = async (d: number) =>
    (await storage.reader.messages.list(aliceId, d, 0, 100)).length;
  const [phoneBefore, laptopBefore] = [await before(1), await before(laptopId)];
  strictEqual((await alice.send('sysbob', 'sealed with a sync')).sealed, true);
  // One sealed post to alice's account: the laptop's copy and the phone's own, neither naming
  // the sender.
  const own = async (d: number) =>
    (await storage.reader.messages.list(aliceId, d, 0, 100)).slice(
      d === 1 ? phoneBefore : laptopBefore,
    );
  const [phoneRows, laptopRows] = [await own(1), await own(laptopId)];
  strictEqual(laptopRows.length, 1);
  strictEqual(phoneRows.length, 1);
  for (const m of [...phoneRows, ...laptopRows]) {
    strictEqual(m.type, limits.SEALED_SENDER_ENVELOPE_TYPE);
    strictEqual(m.senderAccountId, '');
    strictEqual(m.senderDeviceId, 0);
  }
  const synced = await laptop.receive();
  ok(
    synced.some(
      (e) => e.type === 'sent-sync' && e.message.text === 'sealed with a sync' && e.to === 'sysbob',
    ),
    'the laptop shows what the phone sent',
  );
  // The phone's own copy is acknowledged and shows nothing: no message, no dropped notice.
  deepStrictEqual(await alice.receive(), []);
  strictEqual((await storage.reader.messages.list(aliceId, 1, 0, 100)).length, 0);
  deepStrictEqual(texts(await bob.receive()), ['sysalice: sealed with a sync']);
  // A note to self goes sealed to the laptop the same way.
  strictEqual((await alice.send('sysalice', 'note to self')).sealed, true);
  const note = await storage.reader.messages.list(aliceId, laptopId, 0, 100);
  ok(note.length > 0 && note.every((m) => m.senderAccountId === ''));
  ok((await laptop.receive()).length > 0);
  // (bob's delivery receipt arrives meanwhile; the note's own copy shows nothing).
  deepStrictEqual(
    (await alice.receive()).filter((e) => e.type !== 'receipt'),
    [],
  );
  strictEqual((await storage.reader.messages.list(aliceId, 1, 0, 100)).length, 0);
});

test('profiles: set under the profile key, read by a contact, never readable by the relay', async () => {
  const [alice, bob] = await pair('pfalice', 'pfbob');
  await alice.setProfile({ name: 'Alice Liddell' });
  deepStrictEqual(await bob.profile('pfalice'), { name: 'Alice Liddell' });
  strictEqual(bob.nameOf(alice.account?.accountId ?? ''), 'Alice Liddell');
  const blob = await storage.reader.profiles.profile(alice.account?.accountId ?? '');
  ok(blob !== undefined && !Buffer.from(blob).includes('Alice'));
  // A stranger holds no key: nothing to show.
  const carol = newClient(base);
  await carol.register('pfcarol');
  strictEqual(await carol.profile('pfalice'), undefined);
});

test('a rotated profile key revokes the old token: a sender holding it falls back, then gets the new key', async () => {
  const [alice, bob] = await pair('rtalice', 'rtbob');
  strictEqual((await bob.send('rtalice', 'sealed')).sealed, true);
  await alice.rotateProfileKey();
  strictEqual((await bob.send('rtalice', 'old token')).sealed, false);
  deepStrictEqual(texts(await alice.receive()), ['rtbob: sealed', 'rtbob: old token']);
  await alice.send('rtbob', 'here is my new key');
  await bob.receive();
  strictEqual((await bob.send('rtalice', 'new token')).sealed, true);
  deepStrictEqual(texts(await alice.receive()), ['rtbob: new token']);
});

test('hostile relay: forged, expired and foreign sender certificates are refused and not stored', async () => {
  hostile.reset();
  const backend = new MemoryBackend();
  const alice = newClient(hostile.base, nodeFetch, backend);
  const bob = newClient(hostile.base, nodeFetch, new MemoryBackend());
  await alice.register('hcalice');
  await bob.register('hcbob');
  await alice.send('hcbob', 'hi');
  await bob.receive();
  await alice.receive();
  const me = alice.account;
  ok(me !== undefined);
  const identity = serializePublicKey(
    deserializeIdentityKeyPair(fromBase64(me.identity)).publicKey,
  );
  const other = issuer();
  const strangerKey = serializePublicKey(generateIdentityKeyPair(p).publicKey);
  const cases: [string, (now: number) => Uint8Array][] = [
    ['forged', (now) => other.forge(me.accountId, 1, identity, now + LIFETIME_MS)],
    ['expired', (now) => deployment.forge(me.accountId, 1, identity, now - 1_000)],
    ['another account', (now) => deployment.forge('someone-else', 1, identity, now + LIFETIME_MS)],
    ['another key', (now) => deployment.forge(me.accountId, 1, strangerKey, now + LIFETIME_MS)],
    ['not a certificate', () => new Uint8Array(20).fill(7)],
  ];
  for (const [label, make] of cases) {
    hostile.intercept((x) =>
      x.method === 'GET' && x.path === '/v1/sealed-sender/certificate'
        ? {
            status: 200,
            body: { certificate: toBase64(make(Date.now())), expiresAt: Date.now() + LIFETIME_MS },
          }
        : undefined,
    );
    await rejects(alice.send('hcbob', label), isCode('RELAY_INCONSISTENT'), label);
    strictEqual(backend.get(SEALED_NS, 'certificate'), undefined, label);
    hostile.reset();
  }
});

test('hostile relay: a sealed envelope certified as this device under another key is reported, not dropped silently as our own copy', async () => {
  const backend = new MemoryBackend();
  const carol = newClient(base, nodeFetch, backend);
  await carol.register('fkcarol');
  const account = carol.account;
  ok(account !== undefined);
  // The relay holds the server key, so it can certify any device with any key: here carol's
  // own device, with a key of its own making, sealing to carol.
  const relayKey = generateIdentityKeyPair(p);
  const cert = deployment.forge(
    account.accountId,
    account.deviceId,
    serializePublicKey(relayKey.publicKey),
    Date.now() + LIFETIME_MS,
  );
  const content = createContent({
    type: SealedContentType.Whisper,
    senderCertificate: parseSenderCertificate(cert),
    content: new Uint8Array(40),
  });
  const carolKey = deserializeIdentityKeyPair(fromBase64(account.identity)).publicKey;
  const forged: Envelope = {
    guid: 'forged_self',
    senderAccountId: '',
    senderDeviceId: 0,
    clientMessageId: 'x',
    type: limits.SEALED_SENDER_ENVELOPE_TYPE,
    content: toBase64(sealV1(p, relayKey, carolKey, content.serialized)),
    serverTimestamp: Date.now(),
  };
  deepStrictEqual(await carol.processEnvelopes([forged]), [
    {
      type: 'dropped',
      reason: 'a sealed message certified as this device under a key that is not ours',
      senderAccountId: '',
    },
  ]);
});

test('a sealed envelope whose certificate another trust root signed is dropped, nothing stored', async () => {
  hostile.reset();
  const backend = new MemoryBackend();
  const bob = newClient(hostile.base, nodeFetch, backend);
  await bob.register('fkbob');
  const bobAccount = bob.account;
  ok(bobAccount !== undefined);
  const mallory = generateIdentityKeyPair(p);
  const cert = issuer().forge(
    'mallory',
    1,
    serializePublicKey(mallory.publicKey),
    Date.now() + LIFETIME_MS,
  );
  const content = createContent({
    type: SealedContentType.Whisper,
    senderCertificate: parseSenderCertificate(cert),
    content: new Uint8Array(40),
  });
  const bobKey = deserializeIdentityKeyPair(fromBase64(bobAccount.identity)).publicKey;
  const sealed = sealV1(p, mallory, bobKey, content.serialized);
  const forged: Envelope = {
    guid: 'forged_1',
    senderAccountId: '',
    senderDeviceId: 0,
    clientMessageId: 'x',
    type: limits.SEALED_SENDER_ENVELOPE_TYPE,
    content: toBase64(sealed),
    serverTimestamp: Date.now(),
  };
  const events = await bob.processEnvelopes([forged]);
  deepStrictEqual(events, [
    {
      type: 'dropped',
      reason: 'a sealed message whose sender certificate is not signed by the pinned trust root',
      senderAccountId: '',
    },
  ]);
  strictEqual(bob.history('mallory').length, 0);
});
