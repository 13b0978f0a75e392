// The deterministic three-member group behind test/fixtures/group-state-v1.json: alice creates
// it, adds bob and carol, bob updates, carol proposes a Remove and alice an Update (both stay
// pending, alice keeps her new leaf key aside), and bob sends alice an application message she
// has not read yet. Seeded randomness makes it reproducible.
import { utf8Encode } from '@parley/bytes';
import {
  CredentialType,
  MlsCrypto,
  ProposalType,
  createCommit,
  createGroup,
  createKeyPackage,
  createProposal,
  createUpdateProposal,
  encryptApplicationMessage,
  encodeMlsMessage,
  groupStateFromJoin,
  joinFromWelcome,
  processCommit,
  processProposal,
  type GroupState,
} from '@parley/mls';
import { seededNodePrimitives } from './seeded-primitives.js';

export const SAMPLE_PLAINTEXT = 'stored and restored';

export interface GroupStateSample {
  readonly crypto: MlsCrypto;
  /** alice's state, with two proposals and one update key pending and bob's message unread. */
  readonly alice: GroupState;
  /** bob's application message to alice, encoded as an MLSMessage. */
  readonly message: Uint8Array;
}

export function groupStateSample(): GroupStateSample {
  const p = seededNodePrimitives(utf8Encode('parley group-state-v1 fixture'));
  const crypto = new MlsCrypto(p, 1);
  const lifetime = { notBefore: 0n, notAfter: 1n << 40n };
  const options = { psks: () => undefined, policy: { authenticate: () => true } };
  const keys = ['alice', 'bob', 'carol'].map((name) => ({
    name,
    signaturePrivateKey: p.ed25519.generateKeyPair().privateKey,
  }));
  const [a, b, c] = keys;
  if (a === undefined || b === undefined || c === undefined) throw new Error('unreachable');
  const credential = (name: string) =>
    ({ credentialType: CredentialType.basic, identity: utf8Encode(name) }) as const;
  let alice = createGroup(crypto, {
    groupId: utf8Encode('fixture-group'),
    credential: credential('alice'),
    signaturePrivateKey: a.signaturePrivateKey,
    lifetime,
  });
  const kps = [b, c].map((m) =>
    createKeyPackage(crypto, {
      credential: credential(m.name),
      signaturePrivateKey: m.signaturePrivateKey,
      lifetime,
    }),
  );
  const added = createCommit(crypto, alice, {
    signaturePrivateKey: a.signaturePrivateKey,
    proposals: kps.map((k) => ({ proposalType: ProposalType.add, keyPackage: k.keyPackage })),
    ...options,
  });
  alice = added.state;
  const join = (i: number): GroupState => {
    const kp = kps[i];
    if (kp === undefined || added.welcome === undefined) throw new Error('unreachable');
    return groupStateFromJoin(
      crypto,
      joinFromWelcome(crypto, {
        welcome: added.welcome,
        keyPackage: kp.keyPackage,
        initPrivateKey: kp.initPrivateKey,
        encryptionPrivateKey: kp.encryptionPrivateKey,
        ...options,
      }),
    );
  };
  let bob = join(0);
  let carol = join(1);
  const update = createCommit(crypto, bob, {
    signaturePrivateKey: b.signaturePrivateKey,
    ...options,
  });
  bob = update.state;
  alice = processCommit(crypto, alice, update.message, options);
  carol = processCommit(crypto, carol, update.message, options);
  const proposal = createProposal(
    crypto,
    carol,
    { proposalType: ProposalType.remove, removed: bob.ownLeaf },
    c.signaturePrivateKey,
  );
  alice = processProposal(crypto, alice, proposal.message, options.policy);
  alice = createUpdateProposal(crypto, alice, a.signaturePrivateKey).state;
  const sent = encryptApplicationMessage(
    crypto,
    bob,
    utf8Encode(SAMPLE_PLAINTEXT),
    b.signaturePrivateKey,
  );
  return { crypto, alice, message: encodeMlsMessage(sent.message) };
}
