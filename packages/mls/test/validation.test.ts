// Validation of leaf nodes and proposal lists (RFC 9420 §7.3, §12.2) on groups of our own
// clients: the rules refuse a commit when creating it (processing runs the same checks), a
// member refuses a commit that adds someone its own policy does not accept (a "ghost"), and a
// joiner refuses a tree with a member its policy does not accept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CredentialType,
  ExtensionType,
  MlsError,
  ProposalType,
  createCommit,
  createKeyPackage,
  createProposal,
  processProposal,
} from '@parley/mls';
import {
  credential,
  crypto,
  groupOf,
  invite,
  join,
  lifetime,
  member,
  noPsks,
  policy,
  receive,
  stateOf,
} from './group-support.js';

const isInvalid = (e: unknown): boolean => e instanceof MlsError && e.code === 'INVALID_MESSAGE';

test('an Add whose credential the policy refuses is not committed', () => {
  const alice = member('alice');
  const state = groupOf(alice);
  const mallory = member('mallory');
  const kp = createKeyPackage(crypto, {
    credential: credential(mallory),
    signaturePrivateKey: mallory.signaturePrivateKey,
    lifetime,
  });
  assert.throws(
    () =>
      createCommit(crypto, state, {
        signaturePrivateKey: alice.signaturePrivateKey,
        proposals: [{ proposalType: ProposalType.add, keyPackage: kp.keyPackage }],
        psks: noPsks,
        policy,
      }),
    isInvalid,
  );
});

test('a KeyPackage outside its lifetime is refused when a clock is given', () => {
  const alice = member('alice');
  const state = groupOf(alice);
  const bob = member('bob');
  const kp = createKeyPackage(crypto, {
    credential: credential(bob),
    signaturePrivateKey: bob.signaturePrivateKey,
    lifetime: { notBefore: 0n, notAfter: 10n },
  });
  const commit = (now?: bigint) =>
    createCommit(crypto, state, {
      signaturePrivateKey: alice.signaturePrivateKey,
      proposals: [{ proposalType: ProposalType.add, keyPackage: kp.keyPackage }],
      psks: noPsks,
      policy: now === undefined ? { authenticate: policy.authenticate } : { ...policy, now },
    });
  assert.throws(() => commit(11n), isInvalid);
  assert.ok(commit(5n).welcome !== undefined);
});

test('adding the same client twice, or a member again, is refused', () => {
  const alice = member('alice');
  const bob = member('bob');
  const state = groupOf(alice, bob);
  const carol = member('carol');
  const carolKp = invite(carol).keyPackage;
  const again = createKeyPackage(crypto, {
    credential: credential(carol),
    signaturePrivateKey: carol.signaturePrivateKey,
    lifetime,
  }).keyPackage;
  const bobAgain = createKeyPackage(crypto, {
    credential: credential(bob),
    signaturePrivateKey: bob.signaturePrivateKey,
    lifetime,
  }).keyPackage;
  for (const proposals of [[carolKp, again], [bobAgain]]) {
    assert.throws(
      () =>
        createCommit(crypto, state, {
          signaturePrivateKey: alice.signaturePrivateKey,
          proposals: proposals.map((keyPackage) => ({
            proposalType: ProposalType.add,
            keyPackage,
          })),
          psks: noPsks,
          policy,
        }),
      isInvalid,
    );
  }
});

test('the committer cannot remove itself, nor remove a leaf twice or a blank leaf', () => {
  const alice = member('alice');
  const bob = member('bob');
  const state = groupOf(alice, bob);
  const bobLeaf = stateOf(bob).ownLeaf;
  for (const removed of [[state.ownLeaf], [bobLeaf, bobLeaf], [7]]) {
    assert.throws(
      () =>
        createCommit(crypto, state, {
          signaturePrivateKey: alice.signaturePrivateKey,
          proposals: removed.map((r) => ({ proposalType: ProposalType.remove, removed: r })),
          psks: noPsks,
          policy,
        }),
      (e: unknown) => e instanceof MlsError,
    );
  }
});

test('a joiner whose policy refuses a member refuses the Welcome', () => {
  const alice = member('alice');
  const bob = member('bob');
  groupOf(alice);
  const kp = invite(bob);
  const added = createCommit(crypto, stateOf(alice), {
    signaturePrivateKey: alice.signaturePrivateKey,
    proposals: [{ proposalType: ProposalType.add, keyPackage: kp.keyPackage }],
    psks: noPsks,
    policy,
  });
  assert.ok(added.welcome !== undefined);
  const welcome = added.welcome;
  const strict = {
    authenticate: (c: { credentialType: number }) => c.credentialType === CredentialType.x509,
  };
  assert.throws(() => join(bob, welcome, kp, strict), isInvalid);
});

test('a member refuses a commit adding someone its policy does not accept', () => {
  const alice = member('alice');
  const bob = member('bob');
  groupOf(alice, bob);
  const ghost = member('ghost');
  const kp = createKeyPackage(crypto, {
    credential: credential(ghost),
    signaturePrivateKey: ghost.signaturePrivateKey,
    lifetime,
  });
  const lenient = { authenticate: () => true };
  const added = createCommit(crypto, stateOf(alice), {
    signaturePrivateKey: alice.signaturePrivateKey,
    proposals: [{ proposalType: ProposalType.add, keyPackage: kp.keyPackage }],
    psks: noPsks,
    policy: lenient,
  });
  const before = stateOf(bob);
  assert.throws(() => {
    receive(bob, added.message);
  }, isInvalid);
  assert.equal(stateOf(bob), before);
});

test('a proposal is validated on receipt: a Remove of an absent leaf is refused', () => {
  const alice = member('alice');
  const bob = member('bob');
  groupOf(alice, bob);
  const sent = createProposal(
    crypto,
    stateOf(bob),
    { proposalType: ProposalType.remove, removed: 7 },
    bob.signaturePrivateKey,
  );
  const before = stateOf(alice);
  assert.throws(() => processProposal(crypto, before, sent.message, policy), isInvalid);
  assert.equal(before.pendingProposals.length, 0);
});

test('group extensions that some member does not support are refused', () => {
  const alice = member('alice');
  const bob = member('bob');
  const state = groupOf(alice, bob);
  const unsupported = { extensionType: 0xff00, extensionData: new Uint8Array(1) };
  assert.throws(
    () =>
      createCommit(crypto, state, {
        signaturePrivateKey: alice.signaturePrivateKey,
        proposals: [
          { proposalType: ProposalType.groupContextExtensions, extensions: [unsupported] },
        ],
        psks: noPsks,
        policy,
      }),
    isInvalid,
  );
  const appId = { extensionType: ExtensionType.applicationId, extensionData: new Uint8Array(1) };
  const accepted = createCommit(crypto, state, {
    signaturePrivateKey: alice.signaturePrivateKey,
    proposals: [{ proposalType: ProposalType.groupContextExtensions, extensions: [appId] }],
    psks: noPsks,
    policy,
  });
  assert.equal(accepted.state.groupContext.extensions.length, 1);
});
