/**
 * What the authenticated and the sealed group routes share: member lists, epoch conflicts,
 * queueing a group's deliveries, and accepting a commit. A sealed post has no sender: it goes
 * to every member device (the sender's own included) with empty sender fields, may fill only
 * `SEALED_QUEUE_SHARE` of a queue, and its commit is logged with no sender.
 */
import { GROUP_MESSAGE_TYPES, type CommitRequest, type GroupMember } from '@parley/api';
import { fromBase64 } from '@parley/bytes';
import type { RelayContext } from '../context.js';
import type { DeviceIdentity } from '../credentials.js';
import { RelayError } from '../errors.js';
import { deviceChannel } from '../fanout/types.js';
import { SEALED_QUEUE_SHARE } from '../limits.js';
import { sortMembers, type GroupMemberRecord, type GroupRecord } from '../storage/group-types.js';
import type { Writer } from '../storage/types.js';

/** The sender of a sealed post: nobody the relay knows. */
export const SEALED_SENDER = { accountId: '', deviceId: 0 } as const;

const memberKey = (m: GroupMemberRecord): string => `${m.accountId}/${String(m.deviceId)}`;

export function isMember(group: GroupRecord, device: DeviceIdentity): boolean {
  return group.members.some(
    (m) => m.accountId === device.accountId && m.deviceId === device.deviceId,
  );
}

/** The members, refusing duplicates, sorted. */
export function memberList(members: readonly GroupMember[]): GroupMemberRecord[] {
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(memberKey(m))) throw new RelayError('INVALID_REQUEST', 'a device appears twice');
    seen.add(memberKey(m));
  }
  return sortMembers(members);
}

/** Every listed device must exist (a group routes only to registered devices). */
export async function requireDevices(
  w: Writer,
  members: readonly GroupMemberRecord[],
): Promise<void> {
  for (const m of members) {
    if ((await w.devices.get(m.accountId, m.deviceId)) === undefined) {
      throw new RelayError('DEVICE_NOT_FOUND', 'a member device does not exist');
    }
  }
}

/** `EPOCH_CONFLICT` with the group's current epoch, for the client to catch up and retry. */
export function epochConflict(current: number): RelayError {
  return new RelayError('EPOCH_CONFLICT', 'the group has moved to another epoch', {
    epoch: current,
  });
}

/** The member devices a post goes to: all of them for a sealed post, else all but the sender. */
export function recipientsOf(
  group: GroupRecord,
  sender: DeviceIdentity | typeof SEALED_SENDER,
): GroupMemberRecord[] {
  return group.members.filter(
    (m) => !(m.accountId === sender.accountId && m.deviceId === sender.deviceId),
  );
}

export interface Delivery {
  readonly to: readonly GroupMemberRecord[];
  readonly type: number;
  readonly content: Uint8Array;
  /** A disappearing message's expiry (ms), if any. */
  readonly expiresAt?: number;
}

/**
 * Enqueues each delivery's content for each of its devices that still exists (a removed device
 * stays a member until a commit removes it, but has no queue), refusing if a queue is full
 * (for a sealed post: its sealed share). Returns the devices queued for.
 */
export async function enqueueAll(
  ctx: RelayContext,
  w: Writer,
  sender: DeviceIdentity | typeof SEALED_SENDER,
  clientMessageId: string,
  serverTimestamp: number,
  deliveries: readonly Delivery[],
): Promise<GroupMemberRecord[]> {
  const sealed = sender === SEALED_SENDER;
  const maxDepth = sealed
    ? Math.floor(ctx.limits.maxQueueDepth * SEALED_QUEUE_SHARE)
    : ctx.limits.maxQueueDepth;
  const queued: GroupMemberRecord[] = [];
  for (const d of deliveries) {
    for (const m of d.to) {
      if ((await w.devices.get(m.accountId, m.deviceId)) === undefined) continue;
      if ((await w.messages.depth(m.accountId, m.deviceId)) >= maxDepth) {
        throw new RelayError('QUEUE_FULL', 'a recipient queue is full');
      }
      await w.messages.enqueue({
        recipientAccountId: m.accountId,
        recipientDeviceId: m.deviceId,
        senderAccountId: sender.accountId,
        senderDeviceId: sender.deviceId,
        clientMessageId,
        type: d.type,
        content: d.content,
        serverTimestamp,
        ...(d.expiresAt === undefined ? {} : { expiresAt: d.expiresAt }),
      });
      queued.push(m);
    }
  }
  return queued;
}

export async function wake(
  ctx: RelayContext,
  devices: readonly GroupMemberRecord[],
): Promise<void> {
  for (const d of devices) {
    await ctx.fanOut.publish(deviceChannel(d.accountId, d.deviceId), { kind: 'messages' });
  }
}

/**
 * Accepts a commit made in `group`'s current epoch (else `EPOCH_CONFLICT`): logs it (with the
 * sender, or none for a sealed one), moves the group on with the new members and the next
 * epoch's token hash, and queues the commit for the epoch's members (the removed ones learn of
 * their removal) and the Welcome for the devices it adds. Returns the devices queued for.
 */
export async function acceptCommit(
  ctx: RelayContext,
  w: Writer,
  group: GroupRecord,
  request: Omit<CommitRequest, 'members'> & { readonly members: readonly GroupMemberRecord[] },
  sender: DeviceIdentity | typeof SEALED_SENDER,
  serverTimestamp: number,
): Promise<GroupMemberRecord[]> {
  const { groupId } = group;
  const { epoch, members } = request;
  if (group.epoch !== epoch) throw epochConflict(group.epoch);
  const commit = fromBase64(request.commit);
  const welcome = request.welcome === undefined ? undefined : fromBase64(request.welcome);
  const next =
    request.nextDeliveryTokenHash === undefined
      ? undefined
      : fromBase64(request.nextDeliveryTokenHash);
  const before = new Set(group.members.map(memberKey));
  const added = members.filter((m) => !before.has(memberKey(m)));
  await requireDevices(w, added);
  const accepted = await w.groups.advance(
    {
      groupId,
      epoch,
      senderAccountId: sender.accountId,
      senderDeviceId: sender.deviceId,
      commit,
      serverTimestamp,
    },
    members,
    next,
  );
  if (!accepted) throw epochConflict(group.epoch + 1);
  const deliveries: Delivery[] = [
    { to: recipientsOf(group, sender), type: GROUP_MESSAGE_TYPES.commit, content: commit },
    ...(welcome === undefined
      ? []
      : [{ to: added, type: GROUP_MESSAGE_TYPES.welcome, content: welcome }]),
  ];
  return enqueueAll(ctx, w, sender, `${groupId}:${String(epoch)}`, serverTimestamp, deliveries);
}
