import type { Primitives } from '@parley/primitives';
import { MlsCrypto } from '../mls-crypto.js';
import { decodeProposal, ProposalType } from '../proposal.js';
import { RatchetTree } from '../ratchet-tree.js';
import { leafIndex, nodeIndex } from '../tree-math.js';
import { perSuiteCases, type MlsVectorCase } from './vector-case.js';
import {
  asArray,
  asHex,
  asInteger,
  expectBytes,
  expectEqual,
  getArray,
  getHex,
  getInteger,
  VectorMismatchError,
} from './vector-json.js';

/**
 * tree-validation.json: per-node resolutions and tree hashes, the parent-hash chains, and every
 * leaf's signature with the group id as context; the tree also re-encodes to the same bytes.
 */
export function treeValidationCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e, suite) => {
    const c = new MlsCrypto(p, suite);
    const encoded = getHex(e, 'tree');
    const tree = RatchetTree.decode(c, encoded);
    expectBytes(tree.encode(), encoded, 'tree re-encoding');
    const groupId = getHex(e, 'group_id');
    const resolutions = getArray(e, 'resolutions');
    const hashes = getArray(e, 'tree_hashes');
    expectEqual(resolutions.length, 2 * tree.leafCount - 1, 'resolutions length');
    expectEqual(hashes.length, 2 * tree.leafCount - 1, 'tree_hashes length');
    resolutions.forEach((value, i) => {
      const expected = asArray(value, `resolutions[${i}]`).map((n) =>
        asInteger(n, `resolutions[${i}]`),
      );
      expectEqual(tree.resolution(nodeIndex(i)).join(','), expected.join(','), `resolution(${i})`);
    });
    hashes.forEach((value, i) => {
      expectBytes(
        tree.treeHash(nodeIndex(i)),
        asHex(value, `tree_hashes[${i}]`),
        `tree hash(${i})`,
      );
    });
    expectEqual(tree.verifyParentHashes(), true, 'parent hashes');
    for (let leaf = 0; leaf < tree.leafCount; leaf++) {
      const index = leafIndex(leaf);
      if (tree.leaf(index) === undefined) continue;
      expectEqual(tree.verifyLeafSignature(index, groupId), true, `leaf ${leaf} signature`);
    }
  });
}

/**
 * tree-operations.json: apply one Add, Update or Remove to a tree; the tree hash before, the
 * encoded tree after and its tree hash must match.
 */
export function treeOperationsCases(data: unknown, p: Primitives): MlsVectorCase[] {
  return perSuiteCases(data, (e, suite) => {
    const c = new MlsCrypto(p, suite);
    const before = RatchetTree.decode(c, getHex(e, 'tree_before'));
    expectBytes(before.treeHash(), getHex(e, 'tree_hash_before'), 'tree_hash_before');
    const proposal = decodeProposal(getHex(e, 'proposal'));
    const sender = leafIndex(getInteger(e, 'proposal_sender'));
    let after: RatchetTree;
    if (proposal.proposalType === ProposalType.add) {
      after = before.addLeaf(proposal.keyPackage.leafNode).tree;
    } else if (proposal.proposalType === ProposalType.update) {
      after = before.updateLeaf(sender, proposal.leafNode);
    } else if (proposal.proposalType === ProposalType.remove) {
      after = before.removeLeaf(leafIndex(proposal.removed));
    } else {
      throw new VectorMismatchError(`unexpected proposal type ${proposal.proposalType}`);
    }
    expectBytes(after.encode(), getHex(e, 'tree_after'), 'tree_after');
    expectBytes(after.treeHash(), getHex(e, 'tree_hash_after'), 'tree_hash_after');
    const fresh = RatchetTree.decode(c, getHex(e, 'tree_after'));
    expectBytes(fresh.treeHash(), after.treeHash(), 'incremental tree hash against a fresh tree');
  });
}
