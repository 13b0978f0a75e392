/**
 * What the group code needs from the client (`GroupHost`), what it reports (`GroupEvent`,
 * `GroupSummary`, `GroupSendResult`), and the small helpers both halves share.
 */
import { toBase64Url } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { WireFormat, type GroupState, type MlsMessage, type Proposal } from '@parley/mls';
import type { Content } from './content.js';
import type { ClientErrorCode } from './errors.js';
import type { GroupMessageRecord, GroupRecord } from './group-records.js';
import type { MembershipChange } from './group-roster.js';
import type { DeviceCredentials, RelayHttp } from './http.js';
import type { AccountRecord, ContactRecord, DeviceJson } from './state.js';
import type { StorageBackend, StorageWriter } from './storage.js';

export { following } from './group-records.js';

/** We use no pre-shared keys. */
export const noPsks = (): undefined => undefined;

/** What the group engine needs from the client. */
export interface GroupHost {
  readonly primitives: Primitives;
  readonly db: StorageBackend;
  readonly relay: RelayHttp;
  now(): number;
  account(): AccountRecord;
  auth(): DeviceCredentials;
  id(): string;
  /** An account's verified devices (ours, or a contact's, trusting a new account on first use). */
  deviceList(accountId: string): Promise<readonly DeviceJson[]>;
  resolveContact(username: string): Promise<ContactRecord>;
  username(accountId: string): string;
  /** Queues 1:1 content for every device of `accountId`, in the caller's transaction. */
  queueDirect(w: StorageWriter, accountId: string, content: Content): void;
}

/** `rejoined`: this device, stuck after a commit it could not follow, was added again. */
export type GroupChange = 'created' | 'joined' | 'rejoined' | MembershipChange;

/** Group events, shown to every member; `by` is the commit's sender as MLS authenticates it. */
/**
 * Someone is typing (only where typing indicators are on), in a 1:1 conversation or, with
 * `groupId`, a group.
 */
export interface TypingEvent {
  readonly type: 'typing';
  readonly from: string;
  readonly started: boolean;
  readonly groupId?: string;
  readonly group?: string;
}

/**
 * A conversation's disappearing timer was set (`seconds`, 0: off) by `by` (a username): with
 * `peer` (a username) or in the group `groupId`.
 */
export interface TimerEvent {
  readonly type: 'timer-changed';
  readonly by: string;
  readonly seconds: number;
  readonly peer?: string;
  readonly groupId?: string;
  readonly group?: string;
}

export type GroupEvent =
  | TypingEvent
  | TimerEvent
  | {
      /** A group message was reacted to, edited or deleted for everyone (by `by`, a username). */
      readonly type: 'group-message-updated';
      readonly groupId: string;
      readonly group: string;
      readonly action: 'reaction' | 'edit' | 'delete';
      readonly by: string;
      readonly message: GroupMessageRecord;
    }
  | {
      readonly type: 'group-message';
      readonly groupId: string;
      readonly group: string;
      readonly from: string;
      readonly fromDevice: number;
      readonly message: GroupMessageRecord;
    }
  | {
      readonly type: 'group-change';
      readonly groupId: string;
      readonly group: string;
      readonly change: GroupChange;
      /** The users concerned (usernames). */
      readonly users: readonly string[];
      /** Who made the change: the committer (for `joined`, the member whose Welcome it was). */
      readonly by: string;
      readonly byDevice: number;
      /** The epoch the change led to. */
      readonly epoch: number;
    }
  | {
      /** A message of ours that was queued and can never be sent (we left or were removed). */
      readonly type: 'group-send-failed';
      readonly groupId: string;
      readonly group: string;
      readonly messageId: string;
      readonly code: ClientErrorCode;
      readonly reason: string;
    }
  | {
      readonly type: 'group-refused';
      readonly groupId: string;
      readonly group: string;
      readonly code: ClientErrorCode;
      readonly reason: string;
    };

export interface GroupSummary {
  readonly groupId: string;
  readonly name: string;
  readonly status: GroupRecord['status'];
  readonly epoch: number;
  /** Set when a commit was refused: the group cannot follow past this epoch. */
  readonly blocked?: { readonly epoch: number; readonly code: string };
  readonly members: readonly {
    readonly username: string;
    readonly accountId: string;
    readonly devices: readonly number[];
  }[];
}

/**
 * A group send: `sent` (the relay has it), or `queued` (kept in the durable outbox; `code` says
 * why it waits, e.g. `UNREACHABLE`; the next flush sends it). One that can never be sent throws.
 */
export type GroupSendResult = {
  readonly messageId: string;
  /** What catching up before sending showed (membership changes since our last receive). */
  readonly events: readonly GroupEvent[];
} & (
  | {
      readonly status: 'sent';
      readonly serverTimestamp: number;
      /** Member devices the relay queued it for. */
      readonly recipients: number;
      /** Whether it went sealed (the relay did not learn the sender), else authenticated. */
      readonly sealed: boolean;
    }
  | { readonly status: 'queued'; readonly code: ClientErrorCode }
);

/** The record without the pending-commit and pending-proposal marks. */
export function withoutPending(g: GroupRecord): GroupRecord {
  return {
    groupId: g.groupId,
    name: g.name,
    status: g.status,
    createdAt: g.createdAt,
    ...(g.blocked && { blocked: g.blocked }),
    ...(g.knownEpoch !== undefined && { knownEpoch: g.knownEpoch }),
  };
}

export function groupIdOf(msg: MlsMessage): string | undefined {
  if (msg.wireFormat === WireFormat.privateMessage) return toBase64Url(msg.privateMessage.groupId);
  if (msg.wireFormat === WireFormat.publicMessage)
    return toBase64Url(msg.publicMessage.content.groupId);
  return undefined;
}

export const epochOf = (s: GroupState): number => Number(s.groupContext.epoch);

/** A proposal in a commit with the leaf that proposed it. */
export interface CommitProposal {
  readonly proposal: Proposal;
  readonly proposer: number;
}
