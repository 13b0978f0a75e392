/**
 * Storage for MLS groups: KeyPackages per device and, per group, its epoch, member devices and
 * the ordered log of accepted commits. The relay stores group ids and member device ids (it
 * routes by them), never names or contents; commits are opaque bytes.
 */

/** A `groups` row's token hash columns as a record's fields (absent where NULL). */
export function tokenHashes(
  current: Uint8Array | null,
  previous: Uint8Array | null,
): Pick<GroupRecord, 'deliveryTokenHash' | 'previousTokenHash'> {
  return {
    ...(current === null ? {} : { deliveryTokenHash: current }),
    ...(previous === null ? {} : { previousTokenHash: previous }),
  };
}

export interface GroupMemberRecord {
  readonly accountId: string;
  readonly deviceId: number;
}

export interface GroupRecord {
  readonly groupId: string;
  /** The current epoch: the next accepted commit must have been made in it. */
  readonly epoch: number;
  /** Member devices, sorted by account id then device id. */
  readonly members: readonly GroupMemberRecord[];
  readonly createdAt: number;
  /**
   * SHA-256 of the current epoch's delivery token (an MLS exporter value only members hold),
   * which admits sealed posts; absent when no member gave one for this epoch.
   */
  readonly deliveryTokenHash?: Uint8Array;
  /**
   * SHA-256 of the previous epoch's token, if it had one: a sealed post made with it is
   * answered `EPOCH_CONFLICT` (its sender was a member a commit ago) rather than refused.
   */
  readonly previousTokenHash?: Uint8Array;
}

/**
 * One accepted commit: made in `epoch`, it moved the group to `epoch + 1`. A sealed commit has
 * no sender: `''` and 0, like a sealed envelope's sender fields.
 */
export interface HandshakeRecord {
  readonly groupId: string;
  readonly epoch: number;
  readonly senderAccountId: string;
  readonly senderDeviceId: number;
  readonly commit: Uint8Array;
  readonly serverTimestamp: number;
}

export interface ClaimedKeyPackageRecord {
  readonly keyPackage: Uint8Array;
  /** The device's last-resort package (kept, not consumed). */
  readonly lastResort: boolean;
}

export interface MlsKeyPackageReader {
  /** One-time packages left for the device. */
  count(accountId: string, deviceId: number): Promise<number>;
  hasLastResort(accountId: string, deviceId: number): Promise<boolean>;
}
export interface MlsKeyPackageWriter extends MlsKeyPackageReader {
  /** Appends one-time packages to the device's pool (claimed oldest first). */
  add(accountId: string, deviceId: number, keyPackages: readonly Uint8Array[]): Promise<void>;
  setLastResort(accountId: string, deviceId: number, keyPackage: Uint8Array): Promise<void>;
  /** Removes and returns the oldest one-time package, else returns the last-resort one. */
  claim(accountId: string, deviceId: number): Promise<ClaimedKeyPackageRecord | undefined>;
}

export interface GroupReader {
  get(groupId: string): Promise<GroupRecord | undefined>;
  /** Up to `limit` accepted commits with `epoch >= fromEpoch`, ascending. */
  handshakes(groupId: string, fromEpoch: number, limit: number): Promise<HandshakeRecord[]>;
}
export interface GroupWriter extends GroupReader {
  /** Registers a group at epoch 0; fails with `GroupExistsError` if the id is taken. */
  create(record: GroupRecord): Promise<void>;
  /**
   * Appends `handshake` (made in the group's current epoch) to the log, moves the group to the
   * next epoch and replaces its members and its delivery token hash (none if undefined).
   * Returns false, changing nothing, when the group is not at `handshake.epoch`: exactly one
   * commit is accepted per epoch.
   */
  advance(
    handshake: HandshakeRecord,
    members: readonly GroupMemberRecord[],
    nextDeliveryTokenHash: Uint8Array | undefined,
  ): Promise<boolean>;
}

/** Thrown by `GroupWriter.create` when the group id is taken. */
export class GroupExistsError extends Error {
  override readonly name = 'GroupExistsError';
  constructor() {
    super('group exists');
  }
}

/** Members sorted the way records keep them. */
export function sortMembers(members: readonly GroupMemberRecord[]): GroupMemberRecord[] {
  return [...members].sort((a, b) =>
    a.accountId === b.accountId ? a.deviceId - b.deviceId : a.accountId < b.accountId ? -1 : 1,
  );
}
