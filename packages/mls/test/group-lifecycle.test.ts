// A group run end to end by our own clients (RFC 9420 §11–12): create, add by Welcome, self
// update, proposals by reference, commits as PublicMessage and PrivateMessage, application
// messages, remove, an external join from a GroupInfo, and failures that leave the state
// unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { utf8Decode, utf8Encode } from '@parley/bytes';
import {
  CredentialType,
  MlsError,
  ProposalType,
  createCommit,
  createGroup,
  createGroupInfo,
  createProposal,
  createUpdateProposal,
  decodeGroupState,
  decryptApplicationMessage,
  dropPreviousEpoch,
  encodeGroupState,
  joinByExternalCommit,
  leafToNode,
  processProposal,
  type MlsMessage,
} from '@parley/mls';
import {
  assertSameEpoch,
  commit,
  credential,
  crypto,
  groupOf,
  invite,
  join,
  lifetime,
  member,
  noPsks,
  policy,
  read,
  receive,
  send,
  stateOf,
} from './group-support.js';

test('a group of three: create, add, update, propose, remove, talk', () => {
  const alice = member('alice');
  const bob = member('bob');
  const carol = member('carol');
  const dave = member('dave');
  alice.state = createGroup(crypto, {
    groupId: utf8Encode('parley-test-group'),
    credential: credential(alice),
    signaturePrivateKey: alice.signaturePrivateKey,
    lifetime,
  });
  assert.equal(alice.state.groupContext.epoch, 0n);

  // alice adds bob and carol in one commit; both join from the Welcome.
  const bobKp = invite(bob);
  const carolKp = invite(carol);
  const added = createCommit(crypto, stateOf(alice), {
    signaturePrivateKey: alice.signaturePrivateKey,
    proposals: [
      { proposalType: ProposalType.add, keyPackage: bobKp.keyPackage },
      { proposalType: ProposalType.add, keyPackage: carolKp.keyPackage },
    ],
    psks: noPsks,
    policy,
  });
  assert.ok(added.welcome !== undefined);
  alice.state = added.state;
  join(bob, added.welcome, bobKp);
  join(carol, added.welcome, carolKp);
  assertSameEpoch(alice, bob, carol);
  assert.equal(stateOf(alice).groupContext.epoch, 1n);

  // Application messages both ways, including out of order.
  const m1 = send(alice, 'hello');
  const m2 = send(alice, 'again');
  assert.equal(read(bob, m2), 'again');
  assert.equal(read(bob, m1), 'hello');
  assert.equal(read(carol, m1), 'hello');
  assert.throws(
    () => read(bob, m1),
    (e: unknown) => e instanceof MlsError && e.code === 'DECRYPT_FAILED',
  );
  assert.equal(read(alice, send(carol, 'hi alice')), 'hi alice');

  // bob updates his path in a commit sent as a PrivateMessage.
  const update = commit(bob, [], { privateMessage: true });
  receive(alice, update.message);
  receive(carol, update.message);
  assertSameEpoch(alice, bob, carol);

  // carol proposes adding dave; alice commits it by reference.
  const daveKp = invite(dave);
  const proposal = createProposal(
    crypto,
    stateOf(carol),
    { proposalType: ProposalType.add, keyPackage: daveKp.keyPackage },
    carol.signaturePrivateKey,
  );
  carol.state = proposal.state;
  alice.state = processProposal(crypto, stateOf(alice), proposal.message, policy);
  bob.state = processProposal(crypto, stateOf(bob), proposal.message, policy);
  const byReference = commit(alice);
  assert.ok(byReference.welcome !== undefined);
  receive(bob, byReference.message);
  receive(carol, byReference.message);
  join(dave, byReference.welcome, daveKp);
  assertSameEpoch(alice, bob, carol, dave);

  // alice removes carol: the others move on, carol cannot follow or read.
  const carolLeaf = stateOf(carol).ownLeaf;
  const removal = commit(alice, [{ proposalType: ProposalType.remove, removed: carolLeaf }]);
  receive(bob, removal.message);
  receive(dave, removal.message);
  assertSameEpoch(alice, bob, dave);
  const before = stateOf(carol);
  assert.throws(
    () => receive(carol, removal.message),
    (e: unknown) => e instanceof MlsError,
  );
  assert.equal(stateOf(carol), before, 'a failed commit leaves the state as it was');
  const secret = send(bob, 'carol is gone');
  assert.equal(read(dave, secret), 'carol is gone');
  assert.throws(
    () => read(carol, secret),
    (e: unknown) => e instanceof MlsError,
  );
});

test('a tampered commit is rejected and changes nothing', () => {
  const alice = member('alice');
  const bob = member('bob');
  groupOf(alice, bob);
  const update = commit(alice);
  assert.equal(update.message.wireFormat, 1);
  const pub = update.message.publicMessage;
  const tag = pub.auth.confirmationTag;
  assert.ok(tag !== undefined);
  const forged = tag.slice();
  forged[0] = (forged[0] ?? 0) ^ 1;
  const tampered: MlsMessage = {
    wireFormat: 1,
    publicMessage: { ...pub, auth: { ...pub.auth, confirmationTag: forged } },
  };
  const before = stateOf(bob);
  assert.throws(
    () => receive(bob, tampered),
    (e: unknown) => e instanceof MlsError,
  );
  assert.equal(stateOf(bob), before);
  receive(bob, update.message);
  assertSameEpoch(alice, bob);
});

test('a new member joins from a GroupInfo with an external commit', () => {
  const alice = member('alice');
  const bob = member('bob');
  const carol = member('carol');
  groupOf(alice, bob);

  const groupInfo = createGroupInfo(crypto, stateOf(bob), bob.signaturePrivateKey);
  const joined = joinByExternalCommit(crypto, {
    groupInfo,
    credential: credential(carol),
    signaturePrivateKey: carol.signaturePrivateKey,
    lifetime,
    psks: noPsks,
    policy,
  });
  carol.state = joined.state;
  receive(alice, joined.message);
  receive(bob, joined.message);
  assertSameEpoch(alice, bob, carol);
  assert.equal(read(alice, send(carol, 'joined from outside')), 'joined from outside');
});

test('an Update proposal committed by another member keeps its sender in the group', () => {
  const alice = member('alice');
  const bob = member('bob');
  const carol = member('carol');
  groupOf(alice, bob, carol);

  const update = createUpdateProposal(crypto, stateOf(bob), bob.signaturePrivateKey);
  bob.state = update.state;
  assert.equal(stateOf(bob).pendingUpdateKeys.length, 1);
  alice.state = processProposal(crypto, stateOf(alice), update.message, policy);
  carol.state = processProposal(crypto, stateOf(carol), update.message, policy);
  const byAlice = commit(alice);
  receive(bob, byAlice.message);
  receive(carol, byAlice.message);
  assertSameEpoch(alice, bob, carol);
  assert.equal(stateOf(bob).pendingUpdateKeys.length, 0);
  const bobNode = leafToNode(stateOf(bob).ownLeaf);
  assert.ok(stateOf(bob).privateKeys.has(bobNode), 'bob holds the key of his updated leaf');

  // carol's next path update is encrypted to bob's new leaf key, which bob must hold.
  const next = commit(carol);
  receive(bob, next.message);
  receive(alice, next.message);
  assertSameEpoch(alice, bob, carol);
  assert.equal(read(bob, send(carol, 'still here')), 'still here');
});

test('after a ReInit commit the group accepts nothing more', () => {
  const alice = member('alice');
  const bob = member('bob');
  groupOf(alice, bob);
  const reinit = commit(alice, [
    {
      proposalType: ProposalType.reinit,
      groupId: utf8Encode('g5-next'),
      version: 1,
      cipherSuite: 1,
      extensions: [],
    },
  ]);
  receive(bob, reinit.message);
  assertSameEpoch(alice, bob);
  assert.ok(stateOf(bob).reinit !== undefined);
  const isInvalid = (e: unknown): boolean => e instanceof MlsError && e.code === 'INVALID_MESSAGE';
  assert.throws(() => send(alice, 'too late'), isInvalid);
  assert.throws(
    () =>
      createCommit(crypto, stateOf(bob), {
        signaturePrivateKey: bob.signaturePrivateKey,
        psks: noPsks,
        policy,
      }),
    isInvalid,
  );
});

test('a message sent just before a commit is read after it, until the previous epoch is dropped', () => {
  const alice = member('alice');
  const bob = member('bob');
  groupOf(alice, bob);
  const late = send(bob, 'sent before the commit');
  const lateToo = send(bob, 'also before');
  const update = commit(alice);
  receive(bob, update.message);
  assert.equal(read(alice, late), 'sent before the commit');
  assert.throws(
    () => read(alice, late),
    (e: unknown) => e instanceof MlsError,
  );
  alice.state = dropPreviousEpoch(stateOf(alice));
  assert.throws(
    () => read(alice, lateToo),
    (e: unknown) => e instanceof MlsError,
  );
  assert.equal(read(alice, send(bob, 'after the commit')), 'after the commit');
});

test('a late message names its sender as the tree of its epoch did, not whoever took the leaf since', () => {
  const [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map(member);
  if (alice === undefined || bob === undefined || carol === undefined || dave === undefined)
    throw new Error('unreachable');
  groupOf(alice, bob, carol);
  const carolLeaf = stateOf(carol).ownLeaf;
  const late = send(carol, 'written by carol');
  // Carol is removed and dave, added in the same commit, lands in her leaf.
  const daveKp = invite(dave);
  const swap = commit(alice, [
    { proposalType: ProposalType.remove, removed: carolLeaf },
    { proposalType: ProposalType.add, keyPackage: daveKp.keyPackage },
  ]);
  receive(bob, swap.message);
  const daveCredential = stateOf(bob).tree.leaf(carolLeaf)?.credential;
  assert.ok(daveCredential?.credentialType === CredentialType.basic);
  assert.equal(utf8Decode(daveCredential.identity), 'dave');
  const got = decryptApplicationMessage(crypto, stateOf(bob), late);
  assert.equal(utf8Decode(got.data), 'written by carol');
  assert.equal(got.sender, carolLeaf);
  assert.equal(got.epoch, stateOf(bob).groupContext.epoch - 1n);
  assert.ok(got.senderCredential?.credentialType === CredentialType.basic);
  assert.equal(utf8Decode(got.senderCredential.identity), 'carol');
  // The retained epoch survives storage with its credentials.
  const restored = decodeGroupState(crypto, encodeGroupState(stateOf(bob)));
  const again = decryptApplicationMessage(crypto, restored, late);
  assert.ok(again.senderCredential?.credentialType === CredentialType.basic);
  assert.equal(utf8Decode(again.senderCredential.identity), 'carol');
});
