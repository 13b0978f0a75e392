import type { Primitives } from '@parley/primitives';
import { encodeCommit, decodeCommit } from '../commit.js';
import {
  ContentType,
  decodeMlsMessage,
  encodeMlsMessage,
  SenderType,
  WireFormat,
  type FramedBody,
  type FramedContent,
  type PrivateMessage,
  type PublicMessage,
  type Sender,
} from '../framing.js';
import { PROTOCOL_VERSION_MLS10, type GroupContext } from '../group-context.js';
import {
  protectPrivate,
  protectPublic,
  unprotectPrivate,
  unprotectPublic,
} from '../message-protection.js';
import { MlsCrypto } from '../mls-crypto.js';
import { decodeProposal, encodeProposal } from '../proposal.js';
import { SecretTree } from '../secret-tree.js';
import { perSuiteCases, type MlsVectorCase } from './vector-case.js';
import {
  expectBytes,
  expectThrows,
  getHex,
  getInteger,
  VectorMismatchError,
  type JsonObject,
} from './vector-json.js';
import { getPrivateKey } from './vector-keys.js';

/** The sender of every message in message-protection.json. */
const SENDER_LEAF = 1;
/** The secret tree of message-protection.json has two members. */
const TREE_LEAVES = 2;

function bodyBytes(body: FramedBody): Uint8Array {
  if (body.contentType === ContentType.application) return body.applicationData;
  if (body.contentType === ContentType.proposal) return encodeProposal(body.proposal);
  return encodeCommit(body.commit);
}

function publicOf(bytes: Uint8Array): PublicMessage {
  const m = decodeMlsMessage(bytes);
  if (m.wireFormat !== WireFormat.publicMessage)
    throw new VectorMismatchError('not a PublicMessage');
  expectBytes(encodeMlsMessage(m), bytes, 'PublicMessage re-encoding');
  return m.publicMessage;
}

function privateOf(bytes: Uint8Array): PrivateMessage {
  const m = decodeMlsMessage(bytes);
  if (m.wireFormat !== WireFormat.privateMessage)
    throw new VectorMismatchError('not a PrivateMessage');
  expectBytes(encodeMlsMessage(m), bytes, 'PrivateMessage re-encoding');
  return m.privateMessage;
}

/**
 * message-protection.json: for the proposal, the commit and the application message, the
 * vector's PublicMessage (not for application data) and PrivateMessage unprotect to the raw
 * value, and our own protection of the raw value unprotects again.
 */
export function messageProtectionCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e: JsonObject, suite) => {
    const c = new MlsCrypto(p, suite);
    const context: GroupContext = {
      version: PROTOCOL_VERSION_MLS10,
      cipherSuite: suite.id,
      groupId: getHex(e, 'group_id'),
      epoch: BigInt(getInteger(e, 'epoch')),
      treeHash: getHex(e, 'tree_hash'),
      confirmedTranscriptHash: getHex(e, 'confirmed_transcript_hash'),
      extensions: [],
    };
    const signaturePub = getHex(e, 'signature_pub');
    const signaturePrivateKey = getPrivateKey(c, e, 'signature_priv');
    const membershipKey = getHex(e, 'membership_key');
    const senderDataSecret = getHex(e, 'sender_data_secret');
    const signatureKey = ({ sender: s }: FramedContent): Uint8Array | undefined =>
      s.senderType === SenderType.member && s.leafIndex === SENDER_LEAF ? signaturePub : undefined;
    const freshTree = (): SecretTree =>
      SecretTree.create(c, getHex(e, 'encryption_secret'), TREE_LEAVES);
    const sender: Sender = { senderType: SenderType.member, leafIndex: SENDER_LEAF };
    const confirmationTag = c.mac(membershipKey, context.confirmedTranscriptHash);

    const kinds = [
      {
        key: 'proposal',
        body: (raw: Uint8Array): FramedBody => ({ contentType: 2, proposal: decodeProposal(raw) }),
      },
      {
        key: 'commit',
        body: (raw: Uint8Array): FramedBody => ({ contentType: 3, commit: decodeCommit(raw) }),
      },
      {
        key: 'application',
        body: (raw: Uint8Array): FramedBody => ({ contentType: 1, applicationData: raw }),
      },
    ] as const;
    for (const { key, body } of kinds) {
      const raw = getHex(e, key);
      const framedBody = body(raw);
      expectBytes(bodyBytes(framedBody), raw, `${key} re-encoding`);
      const content: FramedContent = {
        groupId: context.groupId,
        epoch: context.epoch,
        sender,
        authenticatedData: new Uint8Array(0),
        ...framedBody,
      };
      const tag = framedBody.contentType === ContentType.commit ? { confirmationTag } : {};
      const publicOptions = { context, membershipKey, signatureKey };

      if (framedBody.contentType === ContentType.application) {
        expectThrows(
          () => protectPublic(c, content, { context, signaturePrivateKey, membershipKey }),
          'application data as a PublicMessage',
        );
      } else {
        const theirs = unprotectPublic(c, publicOf(getHex(e, `${key}_pub`)), publicOptions);
        expectBytes(bodyBytes(theirs.content), raw, `${key}_pub content`);
        const ours = protectPublic(c, content, {
          context,
          signaturePrivateKey,
          membershipKey,
          ...tag,
        });
        const encoded = encodeMlsMessage({
          wireFormat: WireFormat.publicMessage,
          publicMessage: ours,
        });
        const back = unprotectPublic(c, publicOf(encoded), publicOptions);
        expectBytes(bodyBytes(back.content), raw, `${key} own PublicMessage content`);
        const otherKey = c.mac(membershipKey, raw);
        expectThrows(
          () => unprotectPublic(c, ours, { ...publicOptions, membershipKey: otherKey }),
          `${key} PublicMessage under a wrong membership key`,
        );
      }

      const privateOptions = { context, senderDataSecret, signatureKey, secretTree: freshTree() };
      const theirs = unprotectPrivate(c, privateOf(getHex(e, `${key}_priv`)), privateOptions);
      expectBytes(bodyBytes(theirs.content.content), raw, `${key}_priv content`);
      const ours = protectPrivate(c, content, {
        context,
        signaturePrivateKey,
        secretTree: freshTree(),
        senderDataSecret,
        paddingLength: 7,
        ...tag,
      });
      const encoded = encodeMlsMessage({
        wireFormat: WireFormat.privateMessage,
        privateMessage: ours.message,
      });
      const back = unprotectPrivate(c, privateOf(encoded), privateOptions);
      expectBytes(bodyBytes(back.content.content), raw, `${key} own PrivateMessage content`);
      expectThrows(
        () => unprotectPrivate(c, ours.message, { ...privateOptions, secretTree: back.secretTree }),
        `${key} PrivateMessage replayed on the advanced tree`,
      );
    }
  });
}
