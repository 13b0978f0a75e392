// The durable group outbox against the real relay (in process): a send the relay cannot take is
// queued and delivered once by the next flush, in order; a retry after a lost answer re-posts
// the same bytes and members show it once; the echo of a sealed post whose answer was lost
// confirms it (no retry); a post refused because a commit got in first is
// encrypted again in the new epoch; an entry of a group we were removed from is reported, never
// sent.
import { deepStrictEqual, ok, rejects, strictEqual } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fromBase64 } from '@parley/bytes';
import { WireFormat, decodeMlsMessage } from '@parley/mls';
import { ClientError } from '../src/errors.js';
import type { ClientEvent, ParleyClient } from '../src/client.js';
import type { FetchLike } from '../src/http.js';
import { MemoryBackend } from '../src/storage.js';
import { newClient, nodeFetch, startRelay, type TestRelay } from './harness.js';

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.close();
});

function texts(events: readonly ClientEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'group-message' ? [e.message.text] : []));
}

const refusals = (events: readonly ClientEvent[]): ClientEvent[] =>
  events.filter((e) => e.type === 'group-refused');

const isCode = (code: string) => (e: unknown) => e instanceof ClientError && e.code === code;

/** A group message post, sealed or authenticated. */
const isGroupPost = (url: string, method: string): boolean =>
  method === 'POST' && /\/v1\/groups\/[^/]+\/(sealed-)?messages$/.test(url);

interface TransportState {
  down: boolean;
  loseGroupAnswers: boolean;
  /** Runs once before the next group post reaches the relay (another member acting first). */
  beforeGroupPost?: (() => Promise<void>) | undefined;
}

/**
 * alice's transport: can be cut off, can lose the relay's answer to group posts, can let
 * someone act just before a group post arrives, and records the group posts.
 */
function flakyTransport(): {
  fetch: FetchLike;
  state: TransportState;
  posted: { clientMessageId: string; message: string; sealed: boolean }[];
} {
  const state: TransportState = { down: false, loseGroupAnswers: false };
  const posted: { clientMessageId: string; message: string; sealed: boolean }[] = [];
  const fetch: FetchLike = async (url, init) => {
    if (state.down) throw new Error('offline');
    const first = isGroupPost(url, init.method) ? state.beforeGroupPost : undefined;
    if (first !== undefined) {
      state.beforeGroupPost = undefined;
      await first();
    }
    const response = await nodeFetch(url, init);
    if (isGroupPost(url, init.method)) {
      const body = JSON.parse(init.body ?? '{}') as { clientMessageId: string; message: string };
      posted.push({
        clientMessageId: body.clientMessageId,
        message: body.message,
        sealed: url.includes('/sealed-messages'),
      });
      if (state.loseGroupAnswers) {
        await response.text();
        throw new Error('connection reset after the request was sent');
      }
    }
    return response;
  };
  return { fetch, state, posted };
}

/** alice (flaky transport) and bob in a new group; bob has joined. */
async function pair(prefix: string): Promise<{
  alice: ParleyClient;
  bob: ParleyClient;
  groupId: string;
  net: ReturnType<typeof flakyTransport>;
}> {
  const net = flakyTransport();
  const alice = newClient(relay.base, net.fetch, new MemoryBackend());
  const bob = newClient(relay.base);
  await alice.register(`${prefix}alice`);
  await bob.register(`${prefix}bob`);
  const { groupId } = await alice.createGroup(`${prefix} group`, [`${prefix}bob`]);
  await bob.receive();
  return { alice, bob, groupId, net };
}

const statuses = (client: ParleyClient, groupId: string): (string | undefined)[] =>
  client
    .groupHistory(groupId)
    .filter((m) => m.direction === 'out')
    .map((m) => m.status);

test('relay unreachable: group sends are queued, then delivered once and in order by the next flush', async () => {
  const { alice, bob, groupId, net } = await pair('o1');
  net.state.down = true;
  const first = await alice.sendToGroup(groupId, 'first');
  const second = await alice.sendToGroup(groupId, 'second');
  deepStrictEqual(
    [first, second].map((r) => (r.status === 'queued' ? r.code : r.status)),
    ['UNREACHABLE', 'UNREACHABLE'],
  );
  deepStrictEqual(statuses(alice, groupId), ['pending', 'pending']);
  deepStrictEqual(texts(await bob.receive()), []);

  net.state.down = false;
  await alice.receive();
  deepStrictEqual(statuses(alice, groupId), ['sent', 'sent']);
  strictEqual(net.posted.length, 2);
  deepStrictEqual(texts(await bob.receive()), ['first', 'second']);
  // Nothing is sent again.
  await alice.receive();
  strictEqual(await alice.flushOutbox(), 0);
  strictEqual(net.posted.length, 2);
  deepStrictEqual(await bob.receive(), []);
  // A later send goes straight out.
  const third = await alice.sendToGroup(groupId, 'third');
  strictEqual(third.status, 'sent');
  deepStrictEqual(texts(await bob.receive()), ['third']);
});

test('lost answer: the retry posts the same ciphertext and id, and members show the message once', async () => {
  const { alice, bob, groupId, net } = await pair('o2');
  net.state.loseGroupAnswers = true;
  const r = await alice.sendToGroup(groupId, 'said once');
  strictEqual(r.status, 'queued');
  net.state.loseGroupAnswers = false;
  strictEqual(await alice.flushOutbox(), 0);
  deepStrictEqual(statuses(alice, groupId), ['sent']);
  // The relay took both posts (it does not deduplicate group messages by client message id)...
  strictEqual(net.posted.length, 2);
  deepStrictEqual(net.posted[1], net.posted[0]);
  strictEqual(net.posted[0]?.clientMessageId, r.messageId);
  // ...and bob shows one message, with no refusal for the copy.
  const got = await bob.receive();
  deepStrictEqual(texts(got), ['said once']);
  deepStrictEqual(refusals(got), []);
  deepStrictEqual(
    bob.groupHistory(groupId).map((m) => m.text),
    ['said once'],
  );
});

test('epoch moved on before the answer came: the echo of the sealed post confirms it, read once', async () => {
  const { alice, bob, groupId, net } = await pair('o3');
  const carol = newClient(relay.base);
  await carol.register('o3carol');
  // The first post reaches the relay (bob's queue has it, and alice's: the echo) but its answer
  // is lost.
  net.state.loseGroupAnswers = true;
  strictEqual((await alice.sendToGroup(groupId, 'across epochs')).status, 'queued');
  net.state.loseGroupAnswers = false;
  // bob adds carol before alice retries: the group is one epoch further.
  await bob.addToGroup(groupId, ['o3carol']);
  const aliceGot = await alice.receive();
  deepStrictEqual(refusals(aliceGot), [], 'the echo is no refusal');
  deepStrictEqual(texts(aliceGot), [], 'nor a message');
  deepStrictEqual(statuses(alice, groupId), ['sent']);
  // The echo showed the relay took it: not posted again (in the new epoch, for carol too).
  strictEqual(net.posted.length, 1);
  strictEqual(net.posted[0]?.sealed, true);
  const bobGot = await bob.receive();
  deepStrictEqual(texts(bobGot), ['across epochs']);
  deepStrictEqual(refusals(bobGot), []);
  const carolGot = await carol.receive();
  deepStrictEqual(texts(carolGot), []);
  deepStrictEqual(refusals(carolGot), []);
});

test('a commit gets in before the post: refused as EPOCH_CONFLICT, sent again in the new epoch', async () => {
  const { alice, bob, groupId, net } = await pair('o6');
  const carol = newClient(relay.base);
  await carol.register('o6carol');
  net.state.beforeGroupPost = async () => {
    await bob.addToGroup(groupId, ['o6carol']);
  };
  strictEqual((await alice.sendToGroup(groupId, 'after the add')).status, 'sent');
  deepStrictEqual(statuses(alice, groupId), ['sent']);
  const epochs = net.posted.map((p) => {
    const m = decodeMlsMessage(fromBase64(p.message));
    ok(m.wireFormat === WireFormat.privateMessage);
    return Number(m.privateMessage.epoch);
  });
  // Sealed with epoch 1's token (EPOCH_CONFLICT: the relay knows it as the previous epoch's),
  // then sealed again in epoch 2: never authenticated, so the race names no sender.
  deepStrictEqual(epochs, [1, 2]);
  deepStrictEqual(
    net.posted.map((p) => p.sealed),
    [true, true],
  );
  // Only the last post was queued: every member, carol included, reads it once.
  const bobGot = await bob.receive();
  deepStrictEqual(texts(bobGot), ['after the add']);
  deepStrictEqual(refusals(bobGot), []);
  const carolGot = await carol.receive();
  deepStrictEqual(texts(carolGot), ['after the add']);
  deepStrictEqual(refusals(carolGot), []);
});

test('removed before the flush: the queued message is reported as not sent, and is not sent', async () => {
  const { alice, bob, groupId, net } = await pair('o4');
  net.state.down = true;
  const r = await alice.sendToGroup(groupId, 'never delivered');
  strictEqual(r.status, 'queued');
  await bob.removeFromGroup(groupId, ['o4alice']);
  net.state.down = false;
  const events = await alice.receive();
  const failed = events.filter((e) => e.type === 'group-send-failed');
  strictEqual(failed.length, 1);
  strictEqual(failed[0]?.type === 'group-send-failed' && failed[0].messageId, r.messageId);
  strictEqual(failed[0]?.type === 'group-send-failed' && failed[0].code, 'NOT_A_MEMBER');
  ok(events.some((e) => e.type === 'group-change' && e.change === 'removed'));
  strictEqual(net.posted.length, 0);
  deepStrictEqual(statuses(alice, groupId), ['failed']);
  // Reported once; nothing waits any more.
  deepStrictEqual(
    (await alice.receive()).filter((e) => e.type === 'group-send-failed'),
    [],
  );
  strictEqual(await alice.flushOutbox(), 0);
  deepStrictEqual(texts(await bob.receive()), []);

  // Removed but not told yet: the relay refuses to route for alice, so the send fails at once.
  const { alice: a2, bob: b2, groupId: g2, net: n2 } = await pair('o5');
  await b2.removeFromGroup(g2, ['o5alice']);
  await rejects(a2.sendToGroup(g2, 'too late'), isCode('NOT_A_MEMBER'));
  strictEqual(n2.posted.length, 0);
  deepStrictEqual(statuses(a2, g2), ['failed']);
  deepStrictEqual(
    (await a2.receive()).filter((e) => e.type === 'group-send-failed'),
    [],
  );
  deepStrictEqual(texts(await b2.receive()), []);
});
