// Helpers for tests that run groups of our own clients: members with signature keys, a
// credential policy that accepts them by name (standing in for the signed device lists), and
// short forms of create, invite, join, commit processing and application messages.
import assert from 'node:assert/strict';
import { toHex, utf8Decode, utf8Encode } from '@parley/bytes';
import {
  CredentialType,
  MlsCrypto,
  createCommit,
  createGroup,
  createKeyPackage,
  decryptApplicationMessage,
  encryptApplicationMessage,
  groupStateFromJoin,
  joinFromWelcome,
  processCommit,
  ProposalType,
  verifyKeyPackage,
  type CreatedCommit,
  type Credential,
  type GroupState,
  type MlsMessage,
  type Proposal,
  type ValidationPolicy,
  type Welcome,
} from '@parley/mls';
import { createNodePrimitives } from '@parley/primitives-node';

export const p = createNodePrimitives();
export const crypto = new MlsCrypto(p, 1);
export const lifetime = { notBefore: 0n, notAfter: 1n << 40n };
export const noPsks = (): undefined => undefined;
/** Members accepted by name: a stand-in for Parley's signed device lists. */
export const MEMBERS = new Set(['alice', 'bob', 'carol', 'dave']);
export const policy: ValidationPolicy & { readonly now: bigint } = {
  authenticate: (c: Credential) =>
    c.credentialType === CredentialType.basic && MEMBERS.has(utf8Decode(c.identity)),
  now: 1_000_000n,
};

export interface Member {
  readonly name: string;
  readonly signaturePrivateKey: Uint8Array;
  state?: GroupState;
}

export function member(name: string): Member {
  return { name, signaturePrivateKey: p.ed25519.generateKeyPair().privateKey };
}

export function credential(m: Member) {
  return { credentialType: CredentialType.basic, identity: utf8Encode(m.name) } as const;
}

export function stateOf(m: Member): GroupState {
  assert.ok(m.state !== undefined, `${m.name} is not in the group`);
  return m.state;
}

export function invite(m: Member) {
  const created = createKeyPackage(crypto, {
    credential: credential(m),
    signaturePrivateKey: m.signaturePrivateKey,
    lifetime,
  });
  assert.equal(verifyKeyPackage(crypto, created.keyPackage), true);
  return created;
}

export function join(
  m: Member,
  welcome: Welcome,
  kp: ReturnType<typeof invite>,
  joinPolicy: ValidationPolicy = policy,
): void {
  const joined = joinFromWelcome(crypto, {
    welcome,
    keyPackage: kp.keyPackage,
    initPrivateKey: kp.initPrivateKey,
    encryptionPrivateKey: kp.encryptionPrivateKey,
    psks: noPsks,
    policy: joinPolicy,
  });
  m.state = groupStateFromJoin(crypto, joined);
}

export function assertSameEpoch(...members: Member[]): void {
  const [first, ...rest] = members.map(stateOf);
  assert.ok(first !== undefined);
  for (const s of rest) {
    assert.equal(s.groupContext.epoch, first.groupContext.epoch);
    assert.equal(toHex(s.secrets.epochAuthenticator), toHex(first.secrets.epochAuthenticator));
    assert.equal(toHex(s.tree.treeHash()), toHex(first.tree.treeHash()));
  }
}

export function receive(m: Member, message: MlsMessage): void {
  m.state = processCommit(crypto, stateOf(m), message, { psks: noPsks, policy });
}

export function send(from: Member, text: string): MlsMessage {
  const sent = encryptApplicationMessage(
    crypto,
    stateOf(from),
    utf8Encode(text),
    from.signaturePrivateKey,
  );
  from.state = sent.state;
  return sent.message;
}

export function read(to: Member, message: MlsMessage): string {
  const got = decryptApplicationMessage(crypto, stateOf(to), message);
  to.state = got.state;
  return utf8Decode(got.data);
}

/** `by` commits the given proposals (none: a plain path update) and moves to the new epoch. */
export function commit(
  by: Member,
  proposals: readonly Proposal[] = [],
  options: { readonly privateMessage?: boolean } = {},
): CreatedCommit {
  const made = createCommit(crypto, stateOf(by), {
    signaturePrivateKey: by.signaturePrivateKey,
    proposals,
    psks: noPsks,
    policy,
    ...options,
  });
  by.state = made.state;
  return made;
}

/** A group created by `owner`, who adds `others` in one commit; they all join from its Welcome. */
export function groupOf(owner: Member, ...others: Member[]): GroupState {
  owner.state = createGroup(crypto, {
    groupId: utf8Encode(`group-of-${owner.name}`),
    credential: credential(owner),
    signaturePrivateKey: owner.signaturePrivateKey,
    lifetime,
  });
  if (others.length === 0) return owner.state;
  const kps = others.map(invite);
  const added = commit(
    owner,
    kps.map((k) => ({ proposalType: ProposalType.add, keyPackage: k.keyPackage })),
  );
  const welcome = added.welcome;
  assert.ok(welcome !== undefined);
  others.forEach((m, i) => {
    const kp = kps[i];
    assert.ok(kp !== undefined);
    join(m, welcome, kp);
  });
  return stateOf(owner);
}
