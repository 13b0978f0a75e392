/**
 * Finding a group by what a user typed, from the group records alone (no MLS code), so the
 * client answers it before its group code is loaded (`group-code.ts`).
 */
import { ClientError } from './errors.js';
import { following, groupRecords, type GroupRecord } from './group-records.js';
import type { StorageReader } from './storage.js';

/** The shortest group id prefix that names a group. */
const MIN_ID_PREFIX = 4;

/**
 * The group named by `ref`: its id, an id prefix, or its name (case-insensitive); among the
 * groups we follow, or with `past` also those we left or were removed from.
 */
export function resolveGroup(db: StorageReader, ref: string, past = false): GroupRecord {
  const all = groupRecords.groups(db).filter((g) => past || following(g));
  const exact = all.find((g) => g.groupId === ref);
  if (exact !== undefined) return exact;
  const lower = ref.toLowerCase();
  const byName = all.filter((g) => g.name.toLowerCase() === lower);
  const matches =
    byName.length > 0
      ? byName
      : ref.length >= MIN_ID_PREFIX
        ? all.filter((g) => g.groupId.startsWith(ref))
        : [];
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  throw new ClientError(
    'UNKNOWN_GROUP',
    matches.length === 0
      ? `no group of ours is called ${ref}`
      : `several groups match ${ref}; use the group id`,
  );
}
