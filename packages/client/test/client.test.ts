import { deepStrictEqual, ok, rejects, strictEqual } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { toBase64, utf8Encode } from '@parley/bytes';
import { ClientError } from '../src/errors.js';
import { MemoryBackend } from '../src/storage.js';
import { newClient, nodeFetch, startRelay, type TestRelay } from './harness.js';
import type { FetchLike } from '../src/http.js';

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.close();
});

const isCode = (code: string) => (e: unknown) => e instanceof ClientError && e.code === code;

test('register, send, receive, delivered and read receipts', async () => {
  const alice = newClient(relay.base);
  const bob = newClient(relay.base);
  await alice.register('alice1');
  await bob.register('bob1');
  const sent = await alice.send('bob1', 'hello bob');
  ok(sent.serverTimestamp > 0);
  strictEqual(alice.message(sent.messageId)?.status, 'sent');

  const events = await bob.receive();
  strictEqual(events.length, 1);
  const first = events[0];
  ok(first?.type === 'message');
  strictEqual(first.message.text, 'hello bob');
  strictEqual(first.from, 'alice1');

  const receipts = await alice.receive();
  deepStrictEqual(
    receipts.map((e) => e.type),
    ['receipt'],
  );
  strictEqual(alice.message(sent.messageId)?.status, 'delivered');

  strictEqual(await bob.markRead('alice1'), 1);
  await alice.receive();
  strictEqual(alice.message(sent.messageId)?.status, 'read');

  await bob.send('alice1', 'hi alice');
  const back = await alice.receive();
  ok(back.some((e) => e.type === 'message' && e.message.text === 'hi alice'));
  deepStrictEqual(
    alice.history('bob1').map((m) => m.text),
    ['hello bob', 'hi alice'],
  );
});

test('unknown user and a taken username are clear errors', async () => {
  const carol = newClient(relay.base);
  await carol.register('carol1');
  await rejects(carol.send('nobody_here', 'x'), isCode('UNKNOWN_USER'));
  await rejects(newClient(relay.base).register('carol1'), isCode('USERNAME_TAKEN'));
  await rejects(newClient('http://127.0.0.1:1').register('zed'), isCode('UNREACHABLE'));
});

test('ghost device: a device the relay adds without a signed list never gets a ciphertext', async () => {
  const alice = newClient(relay.base);
  const bob = newClient(relay.base);
  await alice.register('alice2');
  const bobAccount = await bob.register('bob2');
  // The relay (or anyone with bob's device secret) adds a device that bob's account key never signed.
  const auth = `Basic ${toBase64(utf8Encode(`${bobAccount.accountId}.${bobAccount.deviceId}:${bobAccount.secret}`))}`;
  const token = (await (
    await fetch(`${relay.base}/v1/devices/link-tokens`, {
      method: 'POST',
      headers: { authorization: auth },
    })
  ).json()) as { linkToken: string };
  const ghostSecret = toBase64(new Uint8Array(32).fill(7));
  const linked = await fetch(`${relay.base}/v1/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      linkToken: token.linkToken,
      device: {
        secret: ghostSecret,
        registrationId: 5,
        identityKey: toBase64(new Uint8Array(33).fill(5)),
      },
    }),
  });
  strictEqual(linked.status, 201);
  const ghost = (await linked.json()) as { deviceId: number };

  await rejects(alice.send('bob2', 'for bob only'), isCode('UNTRUSTED_DEVICES'));
  const queue = await fetch(`${relay.base}/v1/messages`, {
    headers: {
      authorization: `Basic ${toBase64(utf8Encode(`${bobAccount.accountId}.${ghost.deviceId}:${ghostSecret}`))}`,
    },
  });
  deepStrictEqual(((await queue.json()) as { messages: unknown[] }).messages, []);
  // Bob's primary never got it either: nothing was stored (the relay refused the whole send).
  deepStrictEqual(await bob.receive(), []);
});

test('crash safety: a message whose acknowledgement was lost comes again and is shown once', async () => {
  const alice = newClient(relay.base);
  const backend = new MemoryBackend();
  let failAcks = true;
  const flaky: FetchLike = (url, init) => {
    if (failAcks && url.endsWith('/v1/messages/acks')) return Promise.reject(new Error('killed'));
    return nodeFetch(url, init);
  };
  const bob = newClient(relay.base, flaky, backend);
  await alice.register('alice3');
  await bob.register('bob3');
  await alice.send('bob3', 'exactly once');
  await rejects(bob.receive(), isCode('UNREACHABLE'));
  strictEqual(bob.history('alice3').length, 1);
  failAcks = false;
  const again = newClient(relay.base, nodeFetch, backend);
  deepStrictEqual(await again.receive(), []);
  deepStrictEqual(
    again.history('alice3').map((m) => m.text),
    ['exactly once'],
  );
});

test('durable outbox: a send that never reached the relay is retried with the same id', async () => {
  const backend = new MemoryBackend();
  let down = true;
  const flaky: FetchLike = (url, init) =>
    down && url.endsWith('/v1/messages') && init.method === 'POST'
      ? Promise.reject(new Error('offline'))
      : nodeFetch(url, init);
  const alice = newClient(relay.base, flaky, backend);
  const bob = newClient(relay.base);
  await alice.register('alice4');
  await bob.register('bob4');
  await rejects(alice.send('bob4', 'queued'), isCode('UNREACHABLE'));
  strictEqual(alice.history('bob4')[0]?.status, 'pending');
  down = false;
  strictEqual(await alice.flushOutbox(), 0);
  strictEqual(alice.history('bob4')[0]?.status, 'sent');
  const got = await bob.receive();
  deepStrictEqual(
    got.map((e) => (e.type === 'message' ? e.message.text : e.type)),
    ['queued'],
  );
});

test('offline: a message to a known contact waits in the outbox and goes out once', async () => {
  const backend = new MemoryBackend();
  let down = false;
  const flaky: FetchLike = (url, init) =>
    down ? Promise.reject(new Error('offline')) : nodeFetch(url, init);
  const alice = newClient(relay.base, flaky, backend);
  const bob = newClient(relay.base);
  await alice.register('alice4b');
  await bob.register('bob4b');
  await alice.send('bob4b', 'online');
  down = true;
  await rejects(alice.send('bob4b', 'written offline'), isCode('UNREACHABLE'));
  // Nobody known by that name: nothing to queue for.
  await rejects(alice.send('stranger4b', 'to nobody'), isCode('UNREACHABLE'));
  deepStrictEqual(
    alice.history('bob4b').map((m) => [m.text, m.status]),
    [
      ['online', 'sent'],
      ['written offline', 'pending'],
    ],
  );
  down = false;
  strictEqual(await alice.flushOutbox(), 0);
  strictEqual(await alice.flushOutbox(), 0);
  deepStrictEqual(
    (await bob.receive()).map((e) => (e.type === 'message' ? e.message.text : e.type)),
    ['online', 'written offline'],
  );
});

test('key change: sending refuses until the new key is accepted', async () => {
  const alice = newClient(relay.base);
  const bob = newClient(relay.base);
  await alice.register('alice5');
  await bob.register('bob5');
  await alice.send('bob5', 'before');
  const before = await alice.safetyNumber('bob5');
  strictEqual(before.digits.length, 60);
  deepStrictEqual(await alice.checkContact('bob5'), { keyChanged: false });
  await bob.deleteAccount();
  const bobAgain = newClient(relay.base);
  await bobAgain.register('bob5');
  // The check an app runs when a conversation opens notices the change (no send needed).
  deepStrictEqual(await alice.checkContact('bob5'), { keyChanged: true });
  await rejects(alice.send('bob5', 'after'), isCode('KEY_CHANGED'));
  const changed = await alice.safetyNumber('bob5');
  ok(changed.keyChanged);
  ok(changed.digits !== before.digits);
  alice.acceptKey('bob5');
  await alice.send('bob5', 'after');
  const got = await bobAgain.receive();
  ok(got.some((e) => e.type === 'message' && e.message.text === 'after'));
});

test('linking a second device: both receive, sent messages sync, removal stops delivery', async () => {
  const alice = newClient(relay.base, nodeFetch, new MemoryBackend());
  const laptop = newClient(relay.base, nodeFetch, new MemoryBackend());
  const bob = newClient(relay.base);
  const primary = await alice.register('alice6');
  await bob.register('bob6');
  const pending = await laptop.startLink();
  const [linkedId, linked] = await Promise.all([
    alice.approveLink(pending.code),
    pending.complete(),
  ]);
  strictEqual(linked.accountId, primary.accountId);
  strictEqual(linked.deviceId, linkedId);
  deepStrictEqual(
    (await alice.devices()).map((d) => [d.deviceId, d.signed]),
    [
      [1, true],
      [linkedId, true],
    ],
  );

  await bob.send('alice6', 'to both');
  for (const device of [alice, laptop]) {
    const got = await device.receive();
    ok(got.some((e) => e.type === 'message' && e.message.text === 'to both'));
  }
  await alice.send('bob6', 'from the phone');
  const synced = await laptop.receive();
  ok(
    synced.some(
      (e) => e.type === 'sent-sync' && e.message.text === 'from the phone' && e.to === 'bob6',
    ),
  );
  await laptop.send('bob6', 'from the laptop');
  const back = await alice.receive();
  ok(back.some((e) => e.type === 'sent-sync' && e.message.text === 'from the laptop'));
  const bobGot = await bob.receive();
  deepStrictEqual(
    bobGot.flatMap((e) => (e.type === 'message' ? [e.message.text] : [])),
    ['from the phone', 'from the laptop'],
  );

  await alice.removeDevice(linkedId);
  deepStrictEqual(
    (await alice.devices()).map((d) => d.deviceId),
    [1],
  );
  await bob.send('alice6', 'only the phone');
  ok(
    (await alice.receive()).some(
      (e) => e.type === 'message' && e.message.text === 'only the phone',
    ),
  );
  await rejects(laptop.receive(), isCode('RELAY'));
});

test('ghost device: a relay that replays an older signed device list is refused', async () => {
  const bob = newClient(relay.base, nodeFetch, new MemoryBackend());
  const bobAccount = await bob.register('bob7');
  const listUrl = `${relay.base}/v1/accounts/${bobAccount.accountId}/device-list`;
  const mitmState: { replay: string | undefined } = { replay: undefined };
  const mitm: FetchLike = async (url, init) => {
    const replay = mitmState.replay;
    if (replay !== undefined && url === listUrl)
      return { status: 200, text: () => Promise.resolve(replay) };
    return nodeFetch(url, init);
  };
  const alice = newClient(relay.base, mitm);
  await alice.register('alice7');
  const aliceAuth = alice.account;
  ok(aliceAuth !== undefined);
  const auth = `Basic ${toBase64(utf8Encode(`${aliceAuth.accountId}.1:${aliceAuth.secret}`))}`;
  const v1 = await (await fetch(listUrl, { headers: { authorization: auth } })).text();
  const laptop = newClient(relay.base, nodeFetch, new MemoryBackend());
  const pending = await laptop.startLink();
  await Promise.all([bob.approveLink(pending.code), pending.complete()]);
  await alice.send('bob7', 'sees version 2');
  mitmState.replay = v1;
  await rejects(
    alice.send('bob7', 'must not go out'),
    (e: unknown) =>
      e instanceof ClientError && e.code === 'UNTRUSTED_DEVICES' && /backwards/.test(e.message),
  );
  const got = await bob.receive();
  deepStrictEqual(
    got.flatMap((e) => (e.type === 'message' ? [e.message.text] : [])),
    ['sees version 2'],
  );
});

test('a second message sent before any reply still decrypts after the receiver replied', async () => {
  const alice = newClient(relay.base);
  const bob = newClient(relay.base);
  await alice.register('alice8');
  await bob.register('bob8');
  await alice.send('bob8', 'one');
  await bob.receive(); // bob replies with a delivered receipt over the new session
  await alice.send('bob8', 'two'); // alice has not seen the reply: still a PreKey message
  const got = await bob.receive();
  deepStrictEqual(
    got.flatMap((e) => (e.type === 'message' ? [e.message.text] : [])),
    ['two'],
  );
});
