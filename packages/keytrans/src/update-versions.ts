import { searchLadderVersions } from './ladder.js';

/**
 * The versions an UpdateResponse carries VRF proofs for (-05 §9, update algorithm), ascending:
 * the search ladder of the new greatest version, each new version if there are several, less
 * what the owner already knows (the ladder of the previous greatest version, or version 0).
 */
export function updateLadderVersions(
  previousGreatest: number | undefined,
  newGreatest: number,
  newVersions: readonly number[],
): number[] {
  const wanted = new Set(searchLadderVersions(newGreatest));
  if (newVersions.length > 1) for (const v of newVersions) wanted.add(v);
  const knownVersions =
    previousGreatest === undefined ? [0] : searchLadderVersions(previousGreatest);
  for (const v of knownVersions) wanted.delete(v);
  return [...wanted].sort((a, b) => a - b);
}
