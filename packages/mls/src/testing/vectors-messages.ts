import type { TlsReader, TlsWriter } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { decodeWith, encodeWith } from '../codec.js';
import { readCommit, writeCommit } from '../commit.js';
import {
  ContentType,
  readMlsMessage,
  WireFormat,
  writeMlsMessage,
  type MlsMessage,
} from '../framing.js';
import { encodeKeyPackage } from '../key-package.js';
import { MlsCrypto } from '../mls-crypto.js';
import { ProposalType, readProposalBody, writeProposalBody, type Proposal } from '../proposal.js';
import { decodeRatchetTreeNodes, encodeRatchetTreeNodes } from '../ratchet-tree.js';
import {
  decodeGroupSecrets,
  decryptGroupInfo,
  decryptGroupSecrets,
  encodeGroupSecrets,
  verifyGroupInfoSignature,
} from '../welcome.js';
import { epochSecretsFromJoiner } from '../key-schedule.js';
import { computePskSecret } from '../psk.js';
import { verifyConfirmationTag } from '../transcript-hash.js';
import { perEntryCases, perSuiteCases, type MlsVectorCase } from './vector-case.js';
import { expectBytes, expectEqual, getHex, VectorMismatchError } from './vector-json.js';
import { getPrivateKey } from './vector-keys.js';

type Check = (bytes: Uint8Array) => Uint8Array;

function roundTrip<T>(
  what: string,
  read: (r: TlsReader) => T,
  write: (w: TlsWriter, v: T) => void,
): Check {
  return (bytes) => encodeWith(decodeWith(bytes, what, read), write);
}

function mlsMessage(wireFormat: number, contentType?: number): Check {
  return (bytes) => {
    const m = decodeWith(bytes, 'MLSMessage', readMlsMessage);
    expectEqual(m.wireFormat, wireFormat, 'wire format');
    if (contentType !== undefined && m.wireFormat === WireFormat.publicMessage) {
      expectEqual(m.publicMessage.content.contentType, contentType, 'content type');
    }
    return encodeWith(m, writeMlsMessage);
  };
}

function proposalBody(type: number): Check {
  return roundTrip<Proposal>('proposal', (r) => readProposalBody(r, type), writeProposalBody);
}

/** The structure behind each field of messages.json. */
const FIELDS: readonly [string, Check][] = [
  ['mls_welcome', mlsMessage(WireFormat.welcome)],
  ['mls_group_info', mlsMessage(WireFormat.groupInfo)],
  ['mls_key_package', mlsMessage(WireFormat.keyPackage)],
  ['ratchet_tree', (bytes) => encodeRatchetTreeNodes(decodeRatchetTreeNodes(bytes))],
  ['group_secrets', (bytes) => encodeGroupSecrets(decodeGroupSecrets(bytes))],
  ['add_proposal', proposalBody(ProposalType.add)],
  ['update_proposal', proposalBody(ProposalType.update)],
  ['remove_proposal', proposalBody(ProposalType.remove)],
  ['pre_shared_key_proposal', proposalBody(ProposalType.psk)],
  ['re_init_proposal', proposalBody(ProposalType.reinit)],
  ['external_init_proposal', proposalBody(ProposalType.externalInit)],
  ['group_context_extensions_proposal', proposalBody(ProposalType.groupContextExtensions)],
  ['commit', roundTrip('Commit', readCommit, writeCommit)],
  ['public_message_application', mlsMessage(WireFormat.publicMessage, ContentType.application)],
  ['public_message_proposal', mlsMessage(WireFormat.publicMessage, ContentType.proposal)],
  ['public_message_commit', mlsMessage(WireFormat.publicMessage, ContentType.commit)],
  ['private_message', mlsMessage(WireFormat.privateMessage)],
];

/** messages.json: each of 17 structures decodes and re-encodes to the same bytes. */
export function messagesCases(data: unknown): MlsVectorCase[] {
  return perEntryCases(
    data,
    (_, i) => `vector ${i}`,
    (e) => {
      for (const [field, check] of FIELDS) {
        const bytes = getHex(e, field);
        expectBytes(check(bytes), bytes, `${field} re-encoding`);
      }
    },
  );
}

function messageOf<F extends MlsMessage['wireFormat']>(
  bytes: Uint8Array,
  wireFormat: F,
): Extract<MlsMessage, { wireFormat: F }> {
  const m = decodeWith(bytes, 'MLSMessage', readMlsMessage);
  if (m.wireFormat !== wireFormat)
    throw new VectorMismatchError(`wire format is not ${wireFormat}`);
  return m as Extract<MlsMessage, { wireFormat: F }>;
}

/**
 * welcome.json: decrypt the GroupSecrets for the KeyPackage, decrypt the GroupInfo, verify its
 * signature and its confirmation tag from the joiner secret's key schedule.
 */
export function welcomeCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e, suite) => {
    const c = new MlsCrypto(p, suite);
    const keyPackage = messageOf(getHex(e, 'key_package'), WireFormat.keyPackage).keyPackage;
    const welcome = messageOf(getHex(e, 'welcome'), WireFormat.welcome).welcome;
    expectEqual(welcome.cipherSuite, suite.id, 'Welcome cipher suite');
    const ref = c.makeKeyPackageRef(encodeKeyPackage(keyPackage));
    const secrets = decryptGroupSecrets(c, welcome, ref, getPrivateKey(c, e, 'init_priv'));
    const pskSecret = computePskSecret(c, []);
    expectEqual(secrets.psks.length, 0, 'PSKs in the Welcome');
    const welcomeSecret = c.deriveSecret(c.extract(secrets.joinerSecret, pskSecret), 'welcome');
    const groupInfo = decryptGroupInfo(c, welcome, welcomeSecret);
    expectEqual(
      verifyGroupInfoSignature(c, groupInfo, getHex(e, 'signer_pub')),
      true,
      'GroupInfo signature',
    );
    const epoch = epochSecretsFromJoiner(
      c,
      secrets.joinerSecret,
      pskSecret,
      groupInfo.groupContext,
    );
    expectEqual(
      verifyConfirmationTag(
        c,
        epoch.confirmationKey,
        groupInfo.groupContext.confirmedTranscriptHash,
        groupInfo.confirmationTag,
      ),
      true,
      'confirmation tag',
    );
  });
}
