// The five faults of the hostile-relay review (issue 10) and its minor findings, each replayed
// against a real relay through the hostile proxy (`hostile-relay.ts`) or, where the review
// used an honest relay and a hostile account, directly: each test asserts the refusal and that
// nothing else was lost.
import { deepStrictEqual, ok, rejects, strictEqual } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GROUP_MESSAGE_TYPES, type Envelope } from '@parley/api';
import { fromBase64, toBase64, utf8Encode } from '@parley/bytes';
import type { ClientEvent, ParleyClient } from '../src/client.js';
import { ClientError } from '../src/errors.js';
import { MemoryBackend } from '../src/storage.js';
import { newClient, nodeFetch, startRelay, type TestRelay } from './harness.js';
import { startHostileRelay, type HostileRelay } from './hostile-relay.js';

let relay: TestRelay;
let hostile: HostileRelay;
before(async () => {
  relay = await startRelay();
  hostile = await startHostileRelay(relay.base);
});
after(async () => {
  await hostile.close();
  await relay.close();
});

const isCode = (code: string) => (e: unknown) => e instanceof ClientError && e.code === code;

/** A client behind the hostile proxy. */
function behind(): ParleyClient {
  return newClient(hostile.base, nodeFetch, new MemoryBackend());
}

function basic(a: { accountId: string; deviceId: number; secret: string }): string {
  return `Basic ${toBase64(utf8Encode(`${a.accountId}.${a.deviceId}:${a.secret}`))}`;
}

const groupTexts = (events: readonly ClientEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'group-message' ? [`${e.from}: ${e.message.text}`] : []));

const texts = (events: readonly ClientEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'message' ? [`${e.from}: ${e.message.text}`] : []));

/** The page of envelopes a device's fetch would return, rewritten by `edit`. */
function editInbox(
  accountId: string,
  edit: (messages: unknown[]) => unknown[],
): (
  x: { method: string; path: string; caller: string | undefined },
  a: { status: number; body: unknown },
) => { status: number; body: unknown } | undefined {
  return (x, a) => {
    if (x.method !== 'GET' || x.path !== '/v1/messages' || x.caller !== accountId) return undefined;
    const page = a.body as { messages: unknown[]; more: boolean };
    return { status: a.status, body: { ...page, messages: edit(page.messages) } };
  };
}

test('fault 1: a removed member’s late message is shown as hers, not as the member who took her leaf', async () => {
  hostile.reset();
  const [alice, bob, carol, dave] = [behind(), behind(), behind(), behind()];
  await alice.register('f1alice');
  const bobAccount = await bob.register('f1bob');
  await carol.register('f1carol');
  await dave.register('f1dave');
  const { groupId } = await alice.createGroup('fault one', ['f1bob', 'f1carol']);
  await bob.receive();
  await carol.receive();
  // The relay withholds carol's next group message from bob (from every fetch, until released).
  const withheld: unknown[] = [];
  let holding: string | undefined;
  hostile.rewrite(
    editInbox(bobAccount.accountId, (messages) =>
      messages.filter((m) => {
        const e = m as Envelope;
        if (holding === undefined && e.type === GROUP_MESSAGE_TYPES.application) {
          holding = e.guid;
          withheld.push(m);
        }
        return e.guid !== holding;
      }),
    ),
  );
  await carol.sendToGroup(groupId, 'written by carol in epoch 1');
  strictEqual(groupTexts(await bob.receive()).length, 0);
  strictEqual(withheld.length, 1);
  // Carol leaves; the relay refuses commits for a moment, so alice holds the proposal...
  await carol.leaveGroup(groupId);
  let refuseCommits = true;
  hostile.intercept((x) =>
    refuseCommits && x.method === 'POST' && /\/(sealed-)?commits$/.test(x.path)
      ? { status: 503, body: { error: { code: 'UNAVAILABLE', message: 'busy' } } }
      : undefined,
  );
  await alice.receive();
  refuseCommits = false;
  // ...and her next commit removes carol and adds dave, who takes carol's leaf.
  await alice.addToGroup(groupId, ['f1dave']);
  await dave.receive();
  strictEqual(groupTexts(await bob.receive()).length, 0);
  deepStrictEqual(
    bob
      .groups()[0]
      ?.members.map((m) => m.username)
      .sort(),
    ['f1alice', 'f1bob', 'f1dave'],
  );
  // Now the withheld message arrives: it is carol's.
  holding = 'released';
  const late = await bob.receive();
  hostile.reset();
  deepStrictEqual(groupTexts(late), ['f1carol: written by carol in epoch 1'], JSON.stringify(late));
  const stored = bob.groupHistory(groupId).find((m) => m.text === 'written by carol in epoch 1');
  strictEqual(stored?.fromAccount, carol.account?.accountId);
});

test('fault 2: an old Welcome replayed after removal does not put the member back', async () => {
  hostile.reset();
  const [alice, bob, mallory] = [behind(), behind(), behind()];
  await alice.register('f2alice');
  const bobAccount = await bob.register('f2bob');
  const m = await mallory.register('f2mallory');
  // Bob's one-time KeyPackages are claimed away, so alice gets his last-resort one.
  for (let i = 0; i < 25; i++) {
    const r = await fetch(`${relay.base}/v1/mls/key-packages/${bobAccount.accountId}/claim`, {
      method: 'POST',
      headers: { authorization: basic(m) },
    });
    strictEqual(r.status, 200);
  }
  const welcomes: unknown[] = [];
  hostile.rewrite(
    editInbox(bobAccount.accountId, (messages) => {
      for (const e of messages)
        if ((e as Envelope).type === GROUP_MESSAGE_TYPES.welcome) welcomes.push(e);
      return messages;
    }),
  );
  const { groupId } = await alice.createGroup('fault two', ['f2bob']);
  const joined = await bob.receive();
  ok(joined.some((e) => e.type === 'group-change' && e.change === 'joined'));
  strictEqual(welcomes.length, 1);
  await alice.removeFromGroup(groupId, ['f2bob']);
  const removed = await bob.receive();
  ok(removed.some((e) => e.type === 'group-change' && e.change === 'removed'));
  // The relay re-sends the old Welcome under a new guid.
  hostile.reset();
  const replay = { ...(welcomes[0] as Envelope), guid: 'R'.repeat(43) };
  hostile.rewrite(editInbox(bobAccount.accountId, (messages) => [...messages, replay]));
  const events = await bob.receive();
  hostile.reset();
  ok(
    events.some((e) => e.type === 'group-refused' && e.groupId === groupId),
    JSON.stringify(events),
  );
  ok(!events.some((e) => e.type === 'group-change' && e.change === 'joined'));
  strictEqual(bob.groups().find((g) => g.groupId === groupId)?.status, 'removed');
  await rejects(bob.sendToGroup(groupId, 'still here?'), isCode('UNKNOWN_GROUP'));
});

test('fault 3: a group envelope sent through the 1:1 route is refused by the relay and cannot block a group', async () => {
  hostile.reset();
  const [alice, bob, mallory] = [behind(), behind(), behind()];
  const aliceAccount = await alice.register('f3alice');
  await bob.register('f3bob');
  const m = await mallory.register('f3mallory');
  const { groupId } = await alice.createGroup('fault three', ['f3bob']);
  await bob.receive();
  const epoch = alice.groups()[0]?.epoch ?? -1;
  // Through the honest relay: a 1:1 send of type 32 (or 33, 34) is refused.
  for (const type of Object.values(GROUP_MESSAGE_TYPES)) {
    const r = await fetch(`${relay.base}/v1/messages`, {
      method: 'POST',
      headers: { authorization: basic(m), 'content-type': 'application/json' },
      body: JSON.stringify({
        clientMessageId: `x${type}`,
        destinations: [
          {
            accountId: aliceAccount.accountId,
            deviceId: 1,
            registrationId: aliceAccount.registrationId,
            type,
            content: toBase64(new Uint8Array(64).fill(7)),
          },
        ],
      }),
    });
    strictEqual(r.status, 400);
  }
  // A hostile relay injects a forged commit naming the group and its epoch: it is only a
  // wake-up, the log is what counts, and the group goes on.
  const forged = {
    guid: 'F'.repeat(43),
    senderAccountId: m.accountId,
    senderDeviceId: 1,
    clientMessageId: 'forged',
    type: GROUP_MESSAGE_TYPES.commit,
    content: toBase64(new Uint8Array(200).fill(1)),
    serverTimestamp: Date.now(),
  };
  hostile.rewrite(editInbox(aliceAccount.accountId, (messages) => [...messages, forged]));
  await alice.receive();
  hostile.reset();
  const g = alice.groups().find((x) => x.groupId === groupId);
  strictEqual(g?.blocked, undefined);
  strictEqual(g?.epoch, epoch);
  strictEqual((await alice.sendToGroup(groupId, 'still talking')).status, 'sent');
  deepStrictEqual(groupTexts(await bob.receive()), ['f3alice: still talking']);
});

test('fault 3, the way back: a device that cannot follow a logged commit asks to be added again', async () => {
  hostile.reset();
  const [alice, bob] = [behind(), behind()];
  await alice.register('f3balice');
  const bobAccount = await bob.register('f3bbob');
  const { groupId } = await alice.createGroup('way back', ['f3bbob']);
  await bob.receive();
  // The relay serves bob a damaged copy of the next logged commit.
  hostile.rewrite((x, a) => {
    if (x.caller !== bobAccount.accountId || !x.path.endsWith('/commits') || x.method !== 'GET')
      return undefined;
    const log = a.body as { commits: { commit: string }[] };
    return {
      status: a.status,
      body: {
        ...log,
        commits: log.commits.map((c) => {
          const bytes = fromBase64(c.commit);
          bytes.set([(bytes.at(-1) ?? 0) ^ 1], bytes.length - 1);
          return { ...c, commit: toBase64(bytes) };
        }),
      },
    };
  });
  const dave = behind();
  await dave.register('f3bdave');
  await alice.addToGroup(groupId, ['f3bdave']);
  const refused = await bob.receive();
  ok(
    refused.some((e) => e.type === 'group-refused'),
    JSON.stringify(refused),
  );
  ok(bob.groups().find((g) => g.groupId === groupId)?.blocked !== undefined);
  hostile.reset();
  // Bob's rejoin request reaches alice, who removes and re-adds bob's device.
  await alice.receive();
  const back = await bob.receive();
  ok(
    back.some((e) => e.type === 'group-change' && e.change === 'rejoined'),
    JSON.stringify(back),
  );
  strictEqual(bob.groups().find((g) => g.groupId === groupId)?.blocked, undefined);
  await alice.sendToGroup(groupId, 'welcome back');
  deepStrictEqual(groupTexts(await bob.receive()), ['f3balice: welcome back']);
  strictEqual((await bob.sendToGroup(groupId, 'thanks')).status, 'sent');
  deepStrictEqual(groupTexts(await alice.receive()), ['f3bbob: thanks']);
});

test('fault 4: a sender that deleted its account does not wedge the inbox', async () => {
  hostile.reset();
  const [alice, bob, carol, erin] = [behind(), behind(), behind(), behind()];
  await alice.register('f4alice');
  await bob.register('f4bob');
  await carol.register('f4carol');
  await erin.register('f4erin');
  // erin is a contact of alice's; bob is a stranger.
  await alice.send('f4erin', 'hi erin');
  await erin.receive();
  await erin.send('f4alice', 'erin, before leaving');
  await bob.send('f4alice', 'bob, before leaving');
  await bob.deleteAccount();
  await erin.deleteAccount();
  await carol.send('f4alice', 'carol, still here');
  const events = await alice.receive();
  deepStrictEqual(texts(events).sort(), [
    'f4carol: carol, still here',
    'f4erin: erin, before leaving',
  ]);
  ok(
    events.some(
      (e) => e.type === 'dropped' && e.reason === "the sender's account no longer exists",
    ),
  );
  // Everything was acknowledged: nothing comes again.
  deepStrictEqual(await alice.receive(), []);
});

test('fault 4: an envelope whose lookup fails for a passing reason is kept and shown later; the rest go on', async () => {
  hostile.reset();
  const [alice, bob, carol] = [behind(), behind(), behind()];
  await alice.register('f4balice');
  const bobAccount = await bob.register('f4bbob');
  await carol.register('f4bcarol');
  await bob.send('f4balice', 'from bob');
  await carol.send('f4balice', 'from carol');
  hostile.intercept((x) =>
    x.path === `/v1/accounts/${bobAccount.accountId}/device-list`
      ? { status: 503, body: { error: { code: 'UNAVAILABLE', message: 'later' } } }
      : undefined,
  );
  const first = await alice.receive();
  deepStrictEqual(texts(first), ['f4bcarol: from carol']);
  ok(first.some((e) => e.type === 'deferred'));
  hostile.reset();
  deepStrictEqual(texts(await alice.receive()), ['f4bbob: from bob']);
  deepStrictEqual(await alice.receive(), []);
});

test('fault 5: a relay that reports a wrong id for a new device cannot make the primary sign a list without itself', async () => {
  hostile.reset();
  const alice = behind();
  const bob = behind();
  const aliceAccount = await alice.register('f5alice');
  await bob.register('f5bob');
  await alice.send('f5bob', 'before');
  await bob.receive();
  // The relay reports the new device as device 1 (alice's own id).
  hostile.rewrite((x, a) => {
    if (x.method !== 'GET' || x.path !== '/v1/devices' || x.caller !== aliceAccount.accountId)
      return undefined;
    const list = a.body as { devices: { deviceId: number }[] };
    return {
      status: a.status,
      body: { devices: list.devices.map((d) => ({ ...d, deviceId: 1 })) },
    };
  });
  const laptop = newClient(relay.base, nodeFetch, new MemoryBackend());
  const pending = await laptop.startLink();
  const versionBefore = alice.account?.deviceListVersion;
  const joining = pending.complete();
  await rejects(alice.approveLink(pending.code), isCode('RELAY_INCONSISTENT'));
  await joining;
  hostile.reset();
  strictEqual(alice.account?.deviceListVersion, versionBefore);
  await alice.send('f5bob', 'after');
  deepStrictEqual(texts(await bob.receive()), ['f5alice: after']);
});

test('minor: a bundle with a bad signature is an untrusted device; a malformed key is the relay’s fault', async () => {
  hostile.reset();
  const alice = behind();
  const bob = behind();
  await alice.register('mnalice');
  const bobAccount = await bob.register('mnbob');
  const corrupt = (field: 'signature' | 'publicKey') =>
    hostile.rewrite((x, a) => {
      if (x.path !== `/v1/keys/${bobAccount.accountId}`) return undefined;
      const b = a.body as { devices: { signedPreKey: Record<string, string> }[] };
      return {
        status: a.status,
        body: {
          ...b,
          devices: b.devices.map((d) => {
            const v = fromBase64(d.signedPreKey[field] ?? '');
            v.set([(v[5] ?? 0) ^ 0xff], 5);
            return { ...d, signedPreKey: { ...d.signedPreKey, [field]: toBase64(v) } };
          }),
        },
      };
    });
  corrupt('signature');
  await rejects(alice.send('mnbob', 'x'), isCode('UNTRUSTED_DEVICES'));
  hostile.reset();
  hostile.rewrite((x, a) => {
    if (x.path !== `/v1/keys/${bobAccount.accountId}`) return undefined;
    const b = a.body as { devices: { signedPreKey: Record<string, string> }[] };
    return {
      status: a.status,
      body: {
        ...b,
        devices: b.devices.map((d) => ({
          ...d,
          signedPreKey: { ...d.signedPreKey, publicKey: toBase64(new Uint8Array(33).fill(9)) },
        })),
      },
    };
  });
  await rejects(alice.send('mnbob', 'y'), (e) => e instanceof ClientError && e.code !== 'MISUSE');
  hostile.reset();
  // Queued, then delivered once the relay behaves.
  strictEqual(await alice.flushOutbox(), 0);
  deepStrictEqual(texts(await bob.receive()).sort(), ['mnalice: x', 'mnalice: y']);
});

test('minor: malformed envelopes are dropped one by one; the page is acknowledged', async () => {
  hostile.reset();
  const alice = behind();
  const bob = behind();
  const a = await alice.register('mealice');
  await bob.register('mebob');
  await bob.send('mealice', 'genuine');
  const junk: unknown[] = [
    'not an object',
    null,
    { guid: 'J'.repeat(43), type: 2, content: 123 },
    { guid: 'K'.repeat(43) },
    { ...{ senderAccountId: 'x', senderDeviceId: 0, clientMessageId: '', type: 2 } },
  ];
  hostile.rewrite(editInbox(a.accountId, (messages) => [...junk, ...messages, ...junk]));
  const events = await alice.receive();
  hostile.reset();
  deepStrictEqual(texts(events), ['mebob: genuine']);
  strictEqual(events.filter((e) => e.type === 'dropped').length, 2 * junk.length);
  deepStrictEqual(texts(await alice.receive()), []);
});
