import type { Primitives } from '@parley/primitives';
import { encodeGroupContext, PROTOCOL_VERSION_MLS10, type GroupContext } from '../group-context.js';
import { ContentType, decodeAuthenticatedContent } from '../framing.js';
import { epochSecrets, externalKeyPair, mlsExporter } from '../key-schedule.js';
import { MlsCrypto } from '../mls-crypto.js';
import { computePskSecret, PskType, type PskInput } from '../psk.js';
import { SecretTree, senderDataKeyNonce, type RatchetType } from '../secret-tree.js';
import { updateTranscriptHashes, verifyConfirmationTag } from '../transcript-hash.js';
import { leafIndex } from '../tree-math.js';
import { perSuiteCases, type MlsVectorCase } from './vector-case.js';
import {
  asArray,
  asObject,
  expectBytes,
  expectEqual,
  getArray,
  getHex,
  getInteger,
  getObject,
  getString,
  VectorMismatchError,
} from './vector-json.js';

/** secret-tree.json: sender-data key and nonce, and per-leaf ratchet keys at given generations. */
export function secretTreeCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e, suite) => {
    const c = new MlsCrypto(p, suite);
    const sd = getObject(e, 'sender_data');
    const derived = senderDataKeyNonce(
      c,
      getHex(sd, 'sender_data_secret'),
      getHex(sd, 'ciphertext'),
    );
    expectBytes(derived.key, getHex(sd, 'key'), 'sender_data_key');
    expectBytes(derived.nonce, getHex(sd, 'nonce'), 'sender_data_nonce');

    const leaves = getArray(e, 'leaves');
    let tree = SecretTree.create(c, getHex(e, 'encryption_secret'), leaves.length);
    leaves.forEach((value, i) => {
      for (const g of asArray(value, `leaves[${i}]`)) {
        const gen = asObject(g, `leaves[${i}] entry`);
        const generation = getInteger(gen, 'generation');
        for (const type of ['handshake', 'application'] as const satisfies readonly RatchetType[]) {
          const step = tree.keyFor(leafIndex(i), type, generation);
          tree = step.tree;
          expectBytes(
            step.key.key,
            getHex(gen, `${type}_key`),
            `leaf ${i} ${type} key ${generation}`,
          );
          expectBytes(
            step.key.nonce,
            getHex(gen, `${type}_nonce`),
            `leaf ${i} ${type} nonce ${generation}`,
          );
        }
      }
    });
  });
}

/** key-schedule.json: group context encoding and every secret over consecutive epochs. */
export function keyScheduleCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e, suite) => {
    const c = new MlsCrypto(p, suite);
    const groupId = getHex(e, 'group_id');
    let initSecret = getHex(e, 'initial_init_secret');
    getArray(e, 'epochs').forEach((value, index) => {
      const epoch = asObject(value, `epochs[${index}]`);
      const context: GroupContext = {
        version: PROTOCOL_VERSION_MLS10,
        cipherSuite: suite.id,
        groupId,
        epoch: BigInt(index),
        treeHash: getHex(epoch, 'tree_hash'),
        confirmedTranscriptHash: getHex(epoch, 'confirmed_transcript_hash'),
        extensions: [],
      };
      const at = `epoch ${index}`;
      expectBytes(
        encodeGroupContext(context),
        getHex(epoch, 'group_context'),
        `${at} group_context`,
      );
      const s = epochSecrets(
        c,
        initSecret,
        getHex(epoch, 'commit_secret'),
        getHex(epoch, 'psk_secret'),
        context,
      );
      const expected: readonly [string, Uint8Array][] = [
        ['joiner_secret', s.joinerSecret],
        ['welcome_secret', s.welcomeSecret],
        ['init_secret', s.initSecret],
        ['sender_data_secret', s.senderDataSecret],
        ['encryption_secret', s.encryptionSecret],
        ['exporter_secret', s.exporterSecret],
        ['epoch_authenticator', s.epochAuthenticator],
        ['external_secret', s.externalSecret],
        ['confirmation_key', s.confirmationKey],
        ['membership_key', s.membershipKey],
        ['resumption_psk', s.resumptionPsk],
      ];
      for (const [key, actual] of expected) expectBytes(actual, getHex(epoch, key), `${at} ${key}`);
      expectBytes(
        externalKeyPair(c, s.externalSecret).publicKey,
        getHex(epoch, 'external_pub'),
        `${at} external_pub`,
      );
      const exporter = getObject(epoch, 'exporter');
      expectBytes(
        mlsExporter(
          c,
          s.exporterSecret,
          getString(exporter, 'label'),
          getHex(exporter, 'context'),
          getInteger(exporter, 'length'),
        ),
        getHex(exporter, 'secret'),
        `${at} exporter`,
      );
      initSecret = s.initSecret;
    });
  });
}

/** psk_secret.json: psk_secret from 0..n external PSKs. */
export function pskSecretCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e, suite) => {
    const c = new MlsCrypto(p, suite);
    const psks: PskInput[] = getArray(e, 'psks').map((value, i) => {
      const psk = asObject(value, `psks[${i}]`);
      return {
        id: {
          pskType: PskType.external,
          pskId: getHex(psk, 'psk_id'),
          pskNonce: getHex(psk, 'psk_nonce'),
        },
        psk: getHex(psk, 'psk'),
      };
    });
    expectBytes(computePskSecret(c, psks), getHex(e, 'psk_secret'), 'psk_secret');
  });
}

/** transcript-hashes.json: confirmation tag and both transcript hashes after a commit. */
export function transcriptHashesCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e, suite) => {
    const c = new MlsCrypto(p, suite);
    const content = decodeAuthenticatedContent(getHex(e, 'authenticated_content'));
    expectEqual(content.content.contentType, ContentType.commit, 'content type');
    const tag = content.auth.confirmationTag;
    if (tag === undefined) throw new VectorMismatchError('commit without confirmation tag');
    const confirmedAfter = getHex(e, 'confirmed_transcript_hash_after');
    expectEqual(
      verifyConfirmationTag(c, getHex(e, 'confirmation_key'), confirmedAfter, tag),
      true,
      'confirmation tag',
    );
    const hashes = updateTranscriptHashes(c, getHex(e, 'interim_transcript_hash_before'), content);
    expectBytes(hashes.confirmed, confirmedAfter, 'confirmed_transcript_hash_after');
    expectBytes(
      hashes.interim,
      getHex(e, 'interim_transcript_hash_after'),
      'interim_transcript_hash_after',
    );
  });
}
