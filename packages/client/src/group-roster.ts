/**
 * Group membership as the MLS state says it: the roster is read from the ratchet tree's leaves
 * (credential → account and device), never from the relay, and a change is the difference
 * between the rosters before and after a commit. The group's name travels inside MLS too, in a
 * private-use GroupContext extension: the relay never sees it (GroupContext goes on the wire
 * only inside the encrypted GroupInfo of a Welcome, and commits are PrivateMessages).
 */
import { utf8Decode, utf8Encode } from '@parley/bytes';
import { leafIndex, type Capabilities, type Extension, type GroupState } from '@parley/mls';
import { credentialDevice, type MemberDevice } from './group-auth.js';
import { ClientError } from './errors.js';
import { MAX_GROUP_NAME_BYTES } from './limits.js';

/** GroupContext extension carrying the group's UTF-8 name (RFC 9420 §17.3 private-use range). */
export const GROUP_NAME_EXTENSION = 0xf0a1;
/** MLS cipher suite 1: X25519, AES-128-GCM, SHA-256, Ed25519. */
export const GROUP_CIPHER_SUITE = 1;
const MLS10 = 1;
const BASIC_CREDENTIAL = 1;

/** What our leaves support: suite 1, basic credentials and the name extension. */
export const GROUP_CAPABILITIES: Capabilities = {
  versions: [MLS10],
  cipherSuites: [GROUP_CIPHER_SUITE],
  extensions: [GROUP_NAME_EXTENSION],
  proposals: [],
  credentials: [BASIC_CREDENTIAL],
};

export function checkGroupName(name: string): string {
  const trimmed = name.trim();
  const bytes = utf8Encode(trimmed).length;
  if (bytes === 0 || bytes > MAX_GROUP_NAME_BYTES)
    throw new ClientError('INVALID_INPUT', `a group name has 1..${MAX_GROUP_NAME_BYTES} bytes`);
  return trimmed;
}

export function nameExtension(name: string): Extension {
  return { extensionType: GROUP_NAME_EXTENSION, extensionData: utf8Encode(name) };
}

/** The name in the state's GroupContext ("(unnamed)" if absent or unreadable). */
export function groupName(state: GroupState): string {
  const e = state.groupContext.extensions.find((x) => x.extensionType === GROUP_NAME_EXTENSION);
  if (e === undefined || e.extensionData.length > MAX_GROUP_NAME_BYTES) return '(unnamed)';
  try {
    return utf8Decode(e.extensionData);
  } catch {
    return '(unnamed)';
  }
}

export interface RosterLeaf extends MemberDevice {
  readonly leaf: number;
}

/** Every non-blank leaf whose credential names a Parley device (all of them, once validated). */
export function roster(state: GroupState): RosterLeaf[] {
  const out: RosterLeaf[] = [];
  for (let i = 0; i < state.tree.leafCount; i++) {
    const leaf = state.tree.leaf(leafIndex(i));
    if (leaf === undefined) continue;
    const device = credentialDevice(leaf.credential);
    if (device !== undefined) out.push({ ...device, leaf: i });
  }
  return out;
}

/** The device behind a leaf index of `state`, if any. */
export function leafDevice(state: GroupState, leaf: number): MemberDevice | undefined {
  if (leaf >= state.tree.leafCount) return undefined;
  const node = state.tree.leaf(leafIndex(leaf));
  return node === undefined ? undefined : credentialDevice(node.credential);
}

/** Device ids per account, accounts in first-leaf order. */
export function accounts(leaves: readonly MemberDevice[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const l of leaves) out.set(l.accountId, [...(out.get(l.accountId) ?? []), l.deviceId]);
  return out;
}

export type MembershipChange = 'added' | 'removed' | 'left' | 'devices-added' | 'devices-removed';

/**
 * What a commit changed, per kind, as account ids. An account whose every leaf went and whose
 * removal was proposed by one of its own leaves `left`; otherwise it was `removed`.
 */
export function diffRosters(
  before: readonly MemberDevice[],
  after: readonly MemberDevice[],
  selfRemoved: ReadonlySet<string>,
): { readonly change: MembershipChange; readonly accountIds: string[] }[] {
  const b = accounts(before);
  const a = accounts(after);
  const added: string[] = [];
  const removed: string[] = [];
  const left: string[] = [];
  const devicesAdded: string[] = [];
  const devicesRemoved: string[] = [];
  for (const [id, devices] of a) {
    const old = b.get(id);
    if (old === undefined) added.push(id);
    else if (devices.some((d) => !old.includes(d))) devicesAdded.push(id);
  }
  for (const [id, devices] of b) {
    const now = a.get(id);
    if (now === undefined) (selfRemoved.has(id) ? left : removed).push(id);
    else if (devices.some((d) => !now.includes(d))) devicesRemoved.push(id);
  }
  return (
    [
      { change: 'added', accountIds: added },
      { change: 'removed', accountIds: removed },
      { change: 'left', accountIds: left },
      { change: 'devices-added', accountIds: devicesAdded },
      { change: 'devices-removed', accountIds: devicesRemoved },
    ] as const
  ).filter((c) => c.accountIds.length > 0);
}
