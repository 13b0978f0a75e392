import { constantTimeEqual, type TlsReader, type TlsWriter } from '@parley/bytes';
import { decodeWith, encodeWith, readOpaque, writeOpaque } from './codec.js';
import { readCredential, writeCredential } from './credential.js';
import { MlsError } from './errors.js';
import { readSender, writeSender } from './framing.js';
import {
  GROUP_STATE_VERSION,
  type GroupState,
  type NodeKey,
  type PastMember,
  type PendingProposal,
  type PreviousEpoch,
} from './group.js';
import { readGroupContext, writeGroupContext } from './group-context.js';
import type { EpochSecrets } from './key-schedule.js';
import { MAX_PENDING_PROPOSALS, MAX_RETAINED_RESUMPTION_PSKS } from './limits.js';
import type { MlsCrypto } from './mls-crypto.js';
import { ProposalType, readProposal, writeProposal } from './proposal.js';
import { RatchetTree } from './ratchet-tree.js';
import { SecretTree } from './secret-tree.js';
import { leafIndex, nodeIndex, type NodeIndex } from './tree-math.js';

/**
 * The stored form of a {@link GroupState}, format version 2, pinned by
 * `test/fixtures/group-state-v2.json` (version 1, pinned by `group-state-v1.json`, still reads):
 *
 *     uint16 format_version = 2;
 *     uint16 cipher_suite;
 *     GroupContext group_context;
 *     opaque ratchet_tree<V>;                 // the ratchet_tree extension encoding
 *     uint32 own_leaf;
 *     opaque epoch_secrets<V>[12];            // in the order of SECRET_FIELDS
 *     opaque interim_transcript_hash<V>;
 *     { uint32 node; opaque private_key<V>; opaque public_key<V>; } private_keys<V>;
 *     SecretTree secret_tree;                  // SecretTree.writeTo
 *     { opaque reference<V>; Sender sender; Proposal proposal; } pending_proposals<V>;
 *     { uint64 epoch; opaque psk<V>; } resumption_psks<V>;
 *     { opaque private_key<V>; opaque public_key<V>; } pending_update_keys<V>;
 *     optional<Proposal> reinit;               // a ReInit proposal once one is committed
 *     optional<PreviousEpoch> previous_epoch;  // GroupContext; opaque sender_data_secret<V>;
 *                                             // SecretTree;
 *                                             // { uint32 leaf; opaque key<V>; Credential; }<V>
 *
 * Version 1 is the same without the previous epoch's credentials (a late message's sender was
 * then named by the current tree, which is wrong once the leaf changed hands). Reading version 1
 * takes a previous-epoch credential from the current tree only where that leaf still has the
 * same signature key, i.e. the same member, and leaves it absent otherwise.
 *
 * The record holds private keys and epoch secrets: store it encrypted at rest. A change of
 * shape bumps {@link GROUP_STATE_VERSION} and adds a migration; old versions stay readable.
 */
const FORMAT_V1 = 1;

const SECRET_FIELDS = [
  'joinerSecret',
  'welcomeSecret',
  'epochSecret',
  'senderDataSecret',
  'encryptionSecret',
  'exporterSecret',
  'externalSecret',
  'confirmationKey',
  'membershipKey',
  'resumptionPsk',
  'epochAuthenticator',
  'initSecret',
] as const satisfies readonly (keyof EpochSecrets)[];

function invalid(message: string): never {
  throw new MlsError('INVALID_ENCODING', `stored group state: ${message}`);
}

function write(w: TlsWriter, s: GroupState): void {
  w.uint16(s.version).uint16(s.groupContext.cipherSuite);
  writeGroupContext(w, s.groupContext);
  writeOpaque(w, s.tree.encode());
  w.uint32(s.ownLeaf);
  for (const field of SECRET_FIELDS) writeOpaque(w, s.secrets[field]);
  writeOpaque(w, s.interimTranscriptHash);
  w.vector(
    'varint',
    [...s.privateKeys].sort(([a], [b]) => a - b),
    (kw, [node, key]) => {
      kw.uint32(node);
      writeOpaque(kw, key.privateKey);
      writeOpaque(kw, key.publicKey);
    },
  );
  s.secretTree.writeTo(w);
  w.vector('varint', s.pendingProposals, (pw, p) => {
    writeOpaque(pw, p.reference);
    writeSender(pw, p.sender);
    writeProposal(pw, p.proposal);
  });
  w.vector(
    'varint',
    [...s.resumptionPsks].sort(([a], [b]) => (a < b ? -1 : 1)),
    (rw, [epoch, psk]) => {
      rw.uint64(epoch);
      writeOpaque(rw, psk);
    },
  );
  w.vector('varint', s.pendingUpdateKeys, (kw, key) => {
    writeOpaque(kw, key.privateKey);
    writeOpaque(kw, key.publicKey);
  });
  w.optional(s.reinit, writeProposal);
  w.optional(s.previousEpoch, (pw, p) => {
    writeGroupContext(pw, p.groupContext);
    writeOpaque(pw, p.senderDataSecret);
    p.secretTree.writeTo(pw);
    pw.vector(
      'varint',
      [...p.members].sort(([a], [b]) => a - b),
      (kw, [leaf, member]) => {
        if (member.credential === undefined)
          throw new MlsError('MISUSE', 'a past member without its credential');
        kw.uint32(leaf);
        writeOpaque(kw, member.signatureKey);
        writeCredential(kw, member.credential);
      },
    );
  });
}

function read(crypto: MlsCrypto, r: TlsReader): GroupState {
  const version = r.uint16();
  if (version !== GROUP_STATE_VERSION && version !== FORMAT_V1)
    invalid(`unknown format version ${version}`);
  if (r.uint16() !== crypto.suite.id) invalid('another cipher suite');
  const groupContext = readGroupContext(r);
  if (groupContext.cipherSuite !== crypto.suite.id) invalid('another cipher suite');
  const tree = RatchetTree.decode(crypto, readOpaque(r));
  const own = r.uint32();
  if (own >= tree.leafCount) invalid('own leaf outside the tree');
  const ownLeaf = leafIndex(own);
  if (tree.leaf(ownLeaf) === undefined) invalid('own leaf is blank');
  const values = SECRET_FIELDS.map(() => readOpaque(r));
  const secretOf = (i: number): Uint8Array => values[i] ?? invalid('missing secret');
  const secrets: EpochSecrets = {
    joinerSecret: secretOf(0),
    welcomeSecret: secretOf(1),
    epochSecret: secretOf(2),
    senderDataSecret: secretOf(3),
    encryptionSecret: secretOf(4),
    exporterSecret: secretOf(5),
    externalSecret: secretOf(6),
    confirmationKey: secretOf(7),
    membershipKey: secretOf(8),
    resumptionPsk: secretOf(9),
    epochAuthenticator: secretOf(10),
    initSecret: secretOf(11),
  };
  if (values.some((v) => v.length !== crypto.hashLength)) invalid('secret of the wrong length');
  const interimTranscriptHash = readOpaque(r);
  const privateKeys = new Map<NodeIndex, NodeKey>();
  for (const k of r.vector('varint', (kr) => ({
    node: kr.uint32(),
    privateKey: readOpaque(kr),
    publicKey: readOpaque(kr),
  }))) {
    if (k.node >= 2 * tree.leafCount - 1 || privateKeys.has(nodeIndex(k.node)))
      invalid('private key node');
    privateKeys.set(nodeIndex(k.node), { privateKey: k.privateKey, publicKey: k.publicKey });
  }
  const secretTree = SecretTree.readFrom(crypto, r);
  if (secretTree.leafCount !== tree.leafCount)
    invalid('secret tree and ratchet tree differ in size');
  const pendingProposals: PendingProposal[] = r.vector('varint', (pr) => ({
    reference: readOpaque(pr),
    sender: readSender(pr),
    proposal: readProposal(pr),
  }));
  if (pendingProposals.length > MAX_PENDING_PROPOSALS) invalid('too many pending proposals');
  const psks = r.vector('varint', (rr) => ({ epoch: rr.uint64(), psk: readOpaque(rr) }));
  if (psks.length > MAX_RETAINED_RESUMPTION_PSKS) invalid('too many resumption PSKs');
  const pendingUpdateKeys = r.vector('varint', (kr) => ({
    privateKey: readOpaque(kr),
    publicKey: readOpaque(kr),
  }));
  if (pendingUpdateKeys.length > MAX_PENDING_PROPOSALS) invalid('too many pending update keys');
  const reinit = r.optional(readProposal);
  if (reinit !== undefined && reinit.proposalType !== ProposalType.reinit)
    invalid('reinit is not a ReInit');
  // Format 1 kept no past credentials: a leaf that still has the same signature key is the same
  // member, so its current credential is the one it had.
  const sameMemberCredential = (leaf: number, key: Uint8Array) => {
    const now = leaf < tree.leafCount ? tree.leaf(leafIndex(leaf)) : undefined;
    return now !== undefined && constantTimeEqual(now.signatureKey, key)
      ? now.credential
      : undefined;
  };
  const previousEpoch = r.optional((pr): PreviousEpoch => {
    const previousContext = readGroupContext(pr);
    const senderDataSecret = readOpaque(pr);
    const previousTree = SecretTree.readFrom(crypto, pr);
    const keys = pr.vector('varint', (kr) => ({
      leaf: kr.uint32(),
      key: readOpaque(kr),
      credential: version === FORMAT_V1 ? undefined : readCredential(kr),
    }));
    if (keys.some((k) => k.leaf >= previousTree.leafCount)) {
      invalid('previous epoch signer outside its tree');
    }
    if (new Set(keys.map((k) => k.leaf)).size !== keys.length)
      invalid('previous epoch signer twice');
    if (senderDataSecret.length !== crypto.hashLength) invalid('previous sender data secret');
    if (previousContext.epoch + 1n !== groupContext.epoch)
      invalid('previous epoch is not the last');
    return {
      groupContext: previousContext,
      senderDataSecret,
      secretTree: previousTree,
      members: new Map(
        keys.map((k): [number, PastMember] => {
          const credential = k.credential ?? sameMemberCredential(k.leaf, k.key);
          return [
            k.leaf,
            credential === undefined
              ? { signatureKey: k.key }
              : { signatureKey: k.key, credential },
          ];
        }),
      ),
    };
  });
  return {
    version: GROUP_STATE_VERSION,
    groupContext,
    tree,
    ownLeaf,
    secrets,
    interimTranscriptHash,
    privateKeys,
    secretTree,
    pendingProposals,
    resumptionPsks: new Map(psks.map((p) => [p.epoch, p.psk])),
    pendingUpdateKeys,
    ...(reinit === undefined ? {} : { reinit }),
    ...(previousEpoch === undefined ? {} : { previousEpoch }),
  };
}

/** The stored form of a group state (see the format above). Contains secrets. */
export function encodeGroupState(state: GroupState): Uint8Array {
  return encodeWith(state, write);
}

/**
 * Reads a stored group state of format version 1 or 2, checking sizes, indices and bounds; throws
 * `INVALID_ENCODING` for anything else.
 */
export function decodeGroupState(crypto: MlsCrypto, bytes: Uint8Array): GroupState {
  return decodeWith(bytes, 'group state', (r) => read(crypto, r));
}
