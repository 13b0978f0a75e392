// Groups with members on both implementations (ours and ts-mls 1.6.4), suites 1 and 2: a group
// created by one side and joined by the other from its Welcome; application messages both
// ways; adds, self-updates and removes committed by each side and processed by the other, as
// PublicMessages and as PrivateMessages (RFC 9420 §12).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { utf8Encode } from '@parley/bytes';
import { MlsError } from '@parley/mls';
import {
  assertInSync,
  party as partyIn,
  stockTsMlsKeyPackage,
  type InteropSuite,
  type Party,
} from './parties.js';

type Implementation = Party['implementation'];

async function assertAllRead(from: Party, to: readonly Party[], text: string): Promise<void> {
  const message = await from.encrypt(text);
  for (const member of to) {
    assert.equal(await member.decrypt(message), text, `${member.name} reads ${from.name}`);
  }
}

async function processAll(commit: Uint8Array, members: readonly Party[]): Promise<void> {
  for (const member of members) await member.process(commit);
}

async function joinAll(welcome: Uint8Array | undefined, joiners: readonly Party[]): Promise<void> {
  assert.ok(welcome !== undefined, 'a commit with Adds carries a Welcome');
  for (const joiner of joiners) await joiner.join(welcome);
}

/**
 * `creator` is `mine`, the other members alternate between the two implementations. Every
 * membership change is committed once by each side.
 */
async function runGroup(
  mine: Implementation,
  theirs: Implementation,
  privateMessage: boolean,
  suite: InteropSuite = 1,
) {
  const party = (implementation: Implementation, name: string) =>
    partyIn(implementation, name, suite);
  const a1 = party(mine, 'a1');
  const a2 = party(mine, 'a2');
  const a3 = party(mine, 'a3');
  const b1 = party(theirs, 'b1');
  const b2 = party(theirs, 'b2');
  const b3 = party(theirs, 'b3');

  // a1 creates the group and adds b1 and a2; both join from a1's Welcome.
  await a1.create(utf8Encode(`interop-${mine}-${theirs}-${String(privateMessage)}-${suite}`));
  const first = await a1.commit({
    add: [await b1.keyPackage(), await a2.keyPackage()],
    privateMessage,
  });
  await joinAll(first.welcome, [b1, a2]);
  assertInSync(a1, b1, a2);
  assert.deepEqual(a1.roster(), ['a1', 'b1', 'a2']);
  assert.equal(a1.epoch(), 1n);

  await assertAllRead(a1, [b1, a2], 'hello from the creator');
  await assertAllRead(b1, [a1, a2], 'hello from the other implementation');

  // b1 updates its path; the others process it.
  const update = await b1.commit({ privateMessage });
  await processAll(update.commit, [a1, a2]);
  assertInSync(a1, b1, a2);
  await assertAllRead(a2, [a1, b1], 'after b1 updated');

  // b1 adds b2 and a3; the members process, the joiners join from b1's Welcome.
  const added = await b1.commit({
    add: [await b2.keyPackage(), await a3.keyPackage()],
    privateMessage,
  });
  await processAll(added.commit, [a1, a2]);
  await joinAll(added.welcome, [b2, a3]);
  assertInSync(a1, b1, a2, b2, a3);
  assert.deepEqual(b1.roster(), ['a1', 'b1', 'a2', 'b2', 'a3']);
  await assertAllRead(b2, [a1, b1, a2, a3], 'b2 joined');
  await assertAllRead(a3, [a1, b1, a2, b2], 'a3 joined');

  // a2 updates its path; everyone else processes it.
  const update2 = await a2.commit({ privateMessage });
  await processAll(update2.commit, [a1, b1, b2, a3]);
  assertInSync(a1, b1, a2, b2, a3);

  // a1 removes b2 and adds b3; b1 removes a2. The removed cannot read what follows.
  const removeB2 = await a1.commit({
    remove: ['b2'],
    add: [await b3.keyPackage()],
    privateMessage,
  });
  await processAll(removeB2.commit, [b1, a2, a3]);
  await joinAll(removeB2.welcome, [b3]);
  assertInSync(a1, b1, a2, a3, b3);
  assert.deepEqual(a1.roster(), ['a1', 'b1', 'a2', 'b3', 'a3']);
  const removeA2 = await b1.commit({ remove: ['a2'], privateMessage });
  await processAll(removeA2.commit, [a1, a3, b3]);
  assertInSync(a1, b1, a3, b3);
  assert.deepEqual(b3.roster(), ['a1', 'b1', 'b3', 'a3']);

  const secret = await a3.encrypt('a2 and b2 are gone');
  for (const member of [a1, b1, b3])
    assert.equal(await member.decrypt(secret), 'a2 and b2 are gone');
  await assert.rejects(a2.decrypt(secret), 'a removed member cannot decrypt');
  await assert.rejects(b2.decrypt(secret), 'a removed member cannot decrypt');
  await assertAllRead(b3, [a1, b1, a3], 'b3 talks after the removals');
}

for (const privateMessage of [false, true]) {
  const framing = privateMessage ? 'PrivateMessage' : 'PublicMessage';
  test(`a group created by ours, joined and changed by ts-mls members (commits as ${framing})`, () =>
    runGroup('parley', 'ts-mls', privateMessage));
  test(`a group created by ts-mls, joined and changed by our members (commits as ${framing})`, () =>
    runGroup('ts-mls', 'parley', privateMessage));
}

// Suite 2 (P-256 for DHKEM and ECDSA): our curve-suites entry against ts-mls's noble curves.
test('suite 2: a group created by ours, joined and changed by ts-mls members (PrivateMessage)', () =>
  runGroup('parley', 'ts-mls', true, 2));
test('suite 2: a group created by ts-mls, joined and changed by our members (PrivateMessage)', () =>
  runGroup('ts-mls', 'parley', true, 2));

test('suite 2: a stock ts-mls KeyPackage (compressed P-256 signature key) is refused, the group unchanged', async () => {
  const a = partyIn('parley', 'a', 2);
  await a.create(utf8Encode('stock-ts-mls-suite-2'));
  const good = await a.commit({ add: [await partyIn('ts-mls', 'b', 2).keyPackage()] });
  assert.ok(good.welcome !== undefined);
  const before = a.epoch();
  await assert.rejects(
    a.commit({ add: [await stockTsMlsKeyPackage('c', 2)] }),
    (e: unknown) => e instanceof MlsError && e.code === 'INVALID_MESSAGE',
  );
  assert.equal(a.epoch(), before, 'the refused add changed nothing');
  assert.deepEqual(a.roster(), ['a', 'b']);
});

async function tamperedCommitRefused(creator: Implementation, receiver: Implementation) {
  const a = partyIn(creator, 'a');
  const b = partyIn(receiver, 'b');
  await a.create(utf8Encode(`tamper-${creator}-${receiver}`));
  const added = await a.commit({ add: [await b.keyPackage()] });
  await joinAll(added.welcome, [b]);
  const update = await a.commit({});
  const altered = update.commit.slice();
  // The last byte of a PublicMessage is in its membership tag.
  altered[altered.length - 1] = (altered[altered.length - 1] ?? 0) ^ 1;
  await assert.rejects(b.process(altered), `${receiver} refuses an altered commit`);
  assert.equal(b.epoch(), 1n, 'the refused commit changed nothing');
  await b.process(update.commit);
  assertInSync(a, b);
}

test('a commit by ours altered in transit is refused by ts-mls, the original accepted', () =>
  tamperedCommitRefused('parley', 'ts-mls'));
test('a commit by ts-mls altered in transit is refused by ours, the original accepted', () =>
  tamperedCommitRefused('ts-mls', 'parley'));
