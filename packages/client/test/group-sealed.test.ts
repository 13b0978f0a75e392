// Sealed group traffic (issue 18) through the SDK against the real relay: messages and commits
// go sealed with the epoch's delivery token and arrive with the sender MLS names; the relay's
// rows hold no sender; the sender's own echo is dropped without a word; a commit carrying a
// wrong next-epoch hash only makes that epoch's posts go authenticated (nothing lost, the group
// goes on, the next commit mends it); a relay without the sealed routes gets authenticated
// posts; a copy of another member's sealed message replayed by the relay is dropped as a copy.
import { deepStrictEqual, ok, rejects, strictEqual } from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { GROUP_MESSAGE_TYPES } from '@parley/api';
import { createMemoryStorage } from '@parley/relay';
import type { ClientEvent, ParleyClient } from '../src/client.js';
import type { FetchLike } from '../src/http.js';
import { ownPost, rememberPost } from '../src/group-sealed.js';
import { MAX_GROUP_ECHO_HASHES } from '../src/limits.js';
import { MemoryBackend } from '../src/storage.js';
import { newClient, nodeFetch, primitives, startRelay, type TestRelay } from './harness.js';

const storage = createMemoryStorage();
let relay: TestRelay;
before(async () => {
  relay = await startRelay({ storage });
});
after(async () => {
  await relay.close();
});

const texts = (events: readonly ClientEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'group-message' ? [`${e.from}:${e.message.text}`] : []));
const refusals = (events: readonly ClientEvent[]): ClientEvent[] =>
  events.filter((e) => e.type === 'group-refused');
const changes = (events: readonly ClientEvent[]): string[] =>
  events.flatMap((e) =>
    e.type === 'group-change' ? [`${e.by} ${e.change} ${e.users.join(',')}`] : [],
  );
const accountOf = (c: ParleyClient): string => c.account?.accountId ?? '';

/** Every group post and commit the client makes, by route. */
function recorder(rewrite?: (url: string, body: Record<string, unknown>) => void): {
  fetch: FetchLike;
  routes: string[];
  notFound: { sealed: boolean };
} {
  const routes: string[] = [];
  const notFound = { sealed: false };
  const fetch: FetchLike = async (url, init) => {
    const m = /\/v1\/groups\/[^/]+\/(sealed-messages|messages|sealed-commits|commits)$/.exec(url);
    if (m !== null && init.method === 'POST') {
      routes.push(m[1] ?? '');
      if (notFound.sealed && m[1]?.startsWith('sealed-') === true)
        return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no' } }), {
          status: 404,
        });
      if (rewrite !== undefined && init.body !== undefined) {
        const body = JSON.parse(init.body) as Record<string, unknown>;
        rewrite(url, body);
        return nodeFetch(url, { ...init, body: JSON.stringify(body) });
      }
    }
    return nodeFetch(url, init);
  };
  return { fetch, routes, notFound };
}

test('sealed messages and commits deliver with the MLS sender; the relay stores none; the echo is silent', async () => {
  const net = recorder();
  const alice = newClient(relay.base, net.fetch);
  const bob = newClient(relay.base);
  const carol = newClient(relay.base);
  await alice.register('sg1alice');
  await bob.register('sg1bob');
  await carol.register('sg1carol');
  const { groupId } = await alice.createGroup('sealed club', ['sg1bob']);
  // The add went as a sealed commit with epoch 0's token.
  deepStrictEqual(net.routes, ['sealed-commits']);
  const [logged] = await storage.reader.groups.handshakes(groupId, 0, 10);
  strictEqual(logged?.senderAccountId, '');
  strictEqual(logged.senderDeviceId, 0);
  deepStrictEqual(changes(await bob.receive()), ['sg1alice joined sg1bob']);

  const sent = await alice.sendToGroup(groupId, 'hello, sealed');
  ok(sent.status === 'sent');
  strictEqual(sent.sealed, true);
  strictEqual(sent.recipients, 1, "bob's device (alice's own echo is not counted)");
  deepStrictEqual(net.routes, ['sealed-commits', 'sealed-messages']);
  // What the relay holds for the message: no sender in any row, for bob or for alice's echo.
  for (const c of [alice, bob]) {
    const rows = await storage.reader.messages.list(accountOf(c), 1, 0, 100);
    const group = rows.filter((r) => r.type === GROUP_MESSAGE_TYPES.application);
    strictEqual(group.length, 1);
    ok(group.every((r) => r.senderAccountId === '' && r.senderDeviceId === 0));
  }
  const bobGot = await bob.receive();
  deepStrictEqual(texts(bobGot), ['sg1alice:hello, sealed']);
  const echo = await alice.receive();
  deepStrictEqual(echo, [], 'the echo shows neither as a message nor as a refusal');
  deepStrictEqual(
    alice.groupHistory(groupId).map((m) => `${m.direction}:${m.text}:${m.status ?? ''}`),
    ['out:hello, sealed:sent'],
  );

  // bob adds carol sealed; the log names nobody, members still see who did it (from MLS).
  deepStrictEqual(changes(await bob.addToGroup(groupId, ['sg1carol'])), ['sg1bob added sg1carol']);
  const log = await storage.reader.groups.handshakes(groupId, 1, 10);
  ok(log.length === 1 && log[0]?.senderAccountId === '');
  deepStrictEqual(changes(await alice.receive()), ['sg1bob added sg1carol']);
  deepStrictEqual(changes(await carol.receive()), ['sg1bob joined sg1carol']);
  const fromBob = await bob.sendToGroup(groupId, 'epoch two');
  ok(fromBob.status === 'sent' && fromBob.sealed);
  deepStrictEqual(texts(await alice.receive()), ['sg1bob:epoch two']);
  deepStrictEqual(texts(await carol.receive()), ['sg1bob:epoch two']);
  deepStrictEqual(await bob.receive(), []);
  // The echo of a reaction (no message record of its id to call it a copy) is silent too.
  const reacted = await alice.actInGroup(groupId, fromBob.messageId, {
    kind: 'reaction',
    emoji: '👍',
    remove: false,
  });
  ok(reacted.status === 'sent' && reacted.sealed);
  deepStrictEqual(refusals(await alice.receive()), []);
  deepStrictEqual(refusals(await bob.receive()), []);
  deepStrictEqual(bob.groupHistory(groupId).find((m) => m.text === 'epoch two')?.reactions, {
    [accountOf(alice)]: '👍',
  });
});

test('a commit with a wrong next hash: that epoch goes authenticated, nothing is lost, the next commit mends it', async () => {
  // bob's client is tampered with: its commits name some other hash for the next epoch.
  const bad = recorder((url, body) => {
    if (url.endsWith('commits') && 'nextDeliveryTokenHash' in body)
      body['nextDeliveryTokenHash'] = createHash('sha256').update('not the token').digest('base64');
  });
  const alice = newClient(relay.base);
  const bob = newClient(relay.base, bad.fetch);
  const carol = newClient(relay.base);
  await alice.register('sg2alice');
  await bob.register('sg2bob');
  await carol.register('sg2carol');
  const { groupId } = await alice.createGroup('mended', ['sg2bob']);
  await bob.receive();
  await bob.addToGroup(groupId, ['sg2carol']);
  await alice.receive();
  await carol.receive();
  // Epoch 2 has no valid token at the relay: posts fall back, and arrive.
  const r = await alice.sendToGroup(groupId, 'authenticated');
  ok(r.status === 'sent');
  strictEqual(r.sealed, false);
  deepStrictEqual(texts(await bob.receive()), ['sg2alice:authenticated']);
  deepStrictEqual(texts(await carol.receive()), ['sg2alice:authenticated']);
  // An honest commit (carol removes nobody: she adds dave) sets the next epoch's token.
  const dave = newClient(relay.base);
  await dave.register('sg2dave');
  await carol.addToGroup(groupId, ['sg2dave']);
  for (const c of [alice, bob, dave]) await c.receive();
  const again = await alice.sendToGroup(groupId, 'sealed again');
  ok(again.status === 'sent' && again.sealed);
  for (const c of [bob, carol, dave])
    deepStrictEqual(texts(await c.receive()), ['sg2alice:sealed again']);
  deepStrictEqual(refusals(await alice.receive()), []);
});

test('a relay without the sealed routes gets authenticated posts and commits', async () => {
  const net = recorder();
  net.notFound.sealed = true;
  const alice = newClient(relay.base, net.fetch);
  const bob = newClient(relay.base);
  await alice.register('sg3alice');
  await bob.register('sg3bob');
  const { groupId } = await alice.createGroup('old relay', ['sg3bob']);
  await bob.receive();
  const r = await alice.sendToGroup(groupId, 'plain');
  ok(r.status === 'sent');
  strictEqual(r.sealed, false);
  deepStrictEqual(net.routes, ['sealed-commits', 'commits', 'sealed-messages', 'messages']);
  deepStrictEqual(texts(await bob.receive()), ['sg3alice:plain']);
});

test("a relay replaying another member's sealed message: the copy is dropped, no refusal", async () => {
  const alice = newClient(relay.base);
  const bob = newClient(relay.base);
  await alice.register('sg4alice');
  await bob.register('sg4bob');
  const { groupId } = await alice.createGroup('replayed', ['sg4bob']);
  await bob.receive();
  await alice.sendToGroup(groupId, 'once');
  const [row] = (await storage.reader.messages.list(accountOf(bob), 1, 0, 100)).filter(
    (m) => m.type === GROUP_MESSAGE_TYPES.application,
  );
  ok(row !== undefined);
  deepStrictEqual(texts(await bob.receive()), ['sg4alice:once']);
  // The relay queues the same sealed bytes for bob again.
  await storage.transact((w) =>
    w.messages.enqueue({
      recipientAccountId: row.recipientAccountId,
      recipientDeviceId: row.recipientDeviceId,
      senderAccountId: '',
      senderDeviceId: 0,
      clientMessageId: row.clientMessageId,
      type: row.type,
      content: row.content,
      serverTimestamp: row.serverTimestamp + 1,
    }),
  );
  const replay = await bob.receive();
  deepStrictEqual(texts(replay), []);
  deepStrictEqual(refusals(replay), []);
  deepStrictEqual(
    bob.groupHistory(groupId).map((m) => m.text),
    ['once'],
  );
});

test('a sealed commit whose answer was lost is adopted from the log by its bytes (the log names no sender)', async () => {
  let loseCommitAnswer = false;
  const flaky: FetchLike = async (url, init) => {
    const response = await nodeFetch(url, init);
    if (loseCommitAnswer && init.method === 'POST' && url.endsWith('/sealed-commits')) {
      loseCommitAnswer = false;
      await response.text();
      throw new Error('connection reset after the request was sent');
    }
    return response;
  };
  const alice = newClient(relay.base, flaky);
  const bob = newClient(relay.base);
  const carol = newClient(relay.base);
  await alice.register('sg5alice');
  await bob.register('sg5bob');
  await carol.register('sg5carol');
  const { groupId } = await alice.createGroup('lost answer', ['sg5bob']);
  await bob.receive();
  loseCommitAnswer = true;
  await rejects(alice.addToGroup(groupId, ['sg5carol']));
  const [logged] = await storage.reader.groups.handshakes(groupId, 1, 10);
  strictEqual(logged?.senderAccountId, '', 'the relay took it, sealed');
  // The commit's echo makes alice read the log: she adopts her own pending commit.
  const events = await alice.receive();
  deepStrictEqual(refusals(events), []);
  strictEqual(alice.groups().find((g) => g.groupId === groupId)?.epoch, 2);
  deepStrictEqual(changes(await carol.receive()), ['sg5alice joined sg5carol']);
  const r = await alice.sendToGroup(groupId, 'after adoption');
  ok(r.status === 'sent' && r.sealed);
  deepStrictEqual(texts(await carol.receive()), ['sg5alice:after adoption']);
});

test('echo hashes: at most MAX_GROUP_ECHO_HASHES are kept (the newest), pruned as posts are made', () => {
  const db = new MemoryBackend();
  const post = (i: number): Uint8Array => new TextEncoder().encode(`post ${String(i)}`);
  const total = MAX_GROUP_ECHO_HASHES + 200;
  for (let i = 0; i < total; i++)
    db.transact((w) => {
      rememberPost(primitives, w, post(i), i === total - 1 ? 'entry' : undefined);
    });
  ok(db.list('group-echo').length <= MAX_GROUP_ECHO_HASHES + 64);
  strictEqual(ownPost(primitives, db, post(0)), undefined, 'the oldest is gone');
  strictEqual(ownPost(primitives, db, post(total - MAX_GROUP_ECHO_HASHES))?.outbox, undefined);
  ok(ownPost(primitives, db, post(total - MAX_GROUP_ECHO_HASHES)) !== undefined);
  strictEqual(ownPost(primitives, db, post(total - 1))?.outbox, 'entry');
  strictEqual(ownPost(primitives, db, new TextEncoder().encode('never posted')), undefined);
});
