import { constantTimeEqual } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { decodeUpdatePath } from '../commit.js';
import { encodeGroupContext, PROTOCOL_VERSION_MLS10 } from '../group-context.js';
import { MlsCrypto } from '../mls-crypto.js';
import { NodeType, RatchetTree } from '../ratchet-tree.js';
import {
  createUpdatePath,
  decryptUpdatePath,
  mergeUpdatePath,
  nodeKeyPair,
  type NodePrivateKeys,
} from '../treekem.js';
import { leafIndex, leafToNode, nodeIndex, type LeafIndex, type NodeIndex } from '../tree-math.js';
import { perSuiteCases, type MlsVectorCase } from './vector-case.js';
import {
  asArray,
  asHex,
  asObject,
  expectBytes,
  expectEqual,
  getArray,
  getHex,
  getInteger,
  VectorMismatchError,
} from './vector-json.js';
import { getPrivateKey } from './vector-keys.js';

interface LeafPrivate {
  readonly signaturePrivateKey: Uint8Array;
  readonly keys: NodePrivateKeys;
}

/**
 * treekem.json: each member's private state agrees with the tree; every UpdatePath merges with
 * valid parent hashes, decrypts for every other member to the stated path secret and commit
 * secret, and gives the stated tree hash; and a fresh UpdatePath of our own from the same
 * sender decrypts for every other member to our commit secret.
 */
export function treekemCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e, suite) => {
    const c = new MlsCrypto(p, suite);
    const tree = RatchetTree.decode(c, getHex(e, 'ratchet_tree'));
    const groupId = getHex(e, 'group_id');
    const contextFor = (treeHash: Uint8Array): Uint8Array =>
      encodeGroupContext({
        version: PROTOCOL_VERSION_MLS10,
        cipherSuite: suite.id,
        groupId,
        epoch: BigInt(getInteger(e, 'epoch')),
        treeHash,
        confirmedTranscriptHash: getHex(e, 'confirmed_transcript_hash'),
        extensions: [],
      });

    const members = new Map<number, LeafPrivate>();
    for (const value of getArray(e, 'leaves_private')) {
      const lp = asObject(value, 'leaves_private entry');
      const index = getInteger(lp, 'index');
      const keys = new Map<NodeIndex, Uint8Array>([
        [leafToNode(leafIndex(index)), getPrivateKey(c, lp, 'encryption_priv')],
      ]);
      for (const ps of getArray(lp, 'path_secrets')) {
        const entry = asObject(ps, 'path_secrets entry');
        keys.set(
          nodeIndex(getInteger(entry, 'node')),
          nodeKeyPair(c, getHex(entry, 'path_secret')).privateKey,
        );
      }
      for (const [node, privateKey] of keys) {
        const n = tree.node(node);
        if (n === undefined)
          throw new VectorMismatchError(`leaf ${index} holds a key for blank node ${node}`);
        const publicKey =
          n.nodeType === NodeType.leaf ? n.leaf.encryptionKey : n.parent.encryptionKey;
        if (!constantTimeEqual(c.kemPublicKey(privateKey), publicKey)) {
          throw new VectorMismatchError(
            `leaf ${index}'s key for node ${node} does not match the tree`,
          );
        }
      }
      members.set(index, { signaturePrivateKey: getPrivateKey(c, lp, 'signature_priv'), keys });
    }
    const others = (sender: number): LeafIndex[] => {
      const out: LeafIndex[] = [];
      for (let j = 0; j < tree.leafCount; j++) {
        if (j !== sender && tree.leaf(leafIndex(j)) !== undefined) out.push(leafIndex(j));
      }
      return out;
    };
    const keysOf = (j: number): NodePrivateKeys => {
      const m = members.get(j);
      if (m === undefined) throw new VectorMismatchError(`no private state for leaf ${j}`);
      return m.keys;
    };

    getArray(e, 'update_paths').forEach((value, u) => {
      const up = asObject(value, `update_paths[${u}]`);
      const sender = leafIndex(getInteger(up, 'sender'));
      const path = decodeUpdatePath(getHex(up, 'update_path'));
      const merged = mergeUpdatePath(c, tree, sender, path);
      expectBytes(merged.treeHash(), getHex(up, 'tree_hash_after'), `update ${u} tree_hash_after`);
      expectEqual(merged.verifyParentHashes(), true, `update ${u} parent hashes`);
      const context = contextFor(merged.treeHash());
      const pathSecrets = getArray(up, 'path_secrets');
      for (const j of others(sender)) {
        const result = decryptUpdatePath(c, merged, sender, path, context, j, keysOf(j));
        expectBytes(
          result.pathSecret,
          asHex(pathSecrets[j], `path_secrets[${j}]`),
          `update ${u} leaf ${j} path secret`,
        );
        expectBytes(
          result.commitSecret,
          getHex(up, 'commit_secret'),
          `update ${u} leaf ${j} commit secret`,
        );
      }

      const senderState = members.get(sender);
      const senderLeaf = tree.leaf(sender);
      if (senderState === undefined || senderLeaf === undefined) {
        throw new VectorMismatchError(`no private state for sender ${sender}`);
      }
      const ours = createUpdatePath(c, tree, sender, {
        leafNode: senderLeaf,
        signaturePrivateKey: senderState.signaturePrivateKey,
        groupId,
        context: contextFor,
      });
      expectEqual(
        ours.tree.verifyLeafSignature(sender, groupId),
        true,
        `update ${u} own leaf signature`,
      );
      expectEqual(ours.tree.verifyParentHashes(), true, `update ${u} own parent hashes`);
      const theirView = mergeUpdatePath(c, tree, sender, ours.path);
      expectBytes(
        theirView.treeHash(),
        ours.tree.treeHash(),
        `update ${u} own path merged tree hash`,
      );
      const ourContext = contextFor(theirView.treeHash());
      for (const j of others(sender)) {
        const result = decryptUpdatePath(c, theirView, sender, ours.path, ourContext, j, keysOf(j));
        expectBytes(
          result.commitSecret,
          ours.commitSecret,
          `update ${u} own path leaf ${j} commit secret`,
        );
      }
    });
    expectEqual(
      asArray(e['update_paths'], 'update_paths').length > 0,
      true,
      'update paths present',
    );
  });
}
