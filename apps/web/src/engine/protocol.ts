/**
 * The one message protocol between the UI (any tab) and the engine (the worker that won the
 * election): every request with its parameters and result, every event, and the envelopes
 * they travel in over the BroadcastChannel. Components never see anything else of the engine.
 */

/** The BroadcastChannel every tab and engine worker of this origin joins. */
export const ENGINE_CHANNEL = 'parley-engine-v1';
/** The Web Lock whose holder is the engine: one per origin (one account per origin). */
export const ENGINE_LOCK = 'parley-engine-v1';

/** `removed`: the relay removed this device from its account; it no longer connects or sends. */
export type ConnectionState = 'connecting' | 'online' | 'offline' | 'reconnecting' | 'removed';

/** This device's account as the UI shows it. */
export interface AccountView {
  readonly username: string;
  readonly deviceId: number;
  /** Holds the account key: can approve links and remove devices. */
  readonly primary: boolean;
}

/** Where the engine is in its life. */
export type EnginePhase =
  | { readonly kind: 'starting' }
  /** The browser cannot keep Parley's data (no OPFS, or it failed); nothing is stored. */
  | { readonly kind: 'unavailable'; readonly reason: string }
  /** Local data is locked with a passphrase. */
  | { readonly kind: 'locked' }
  /** No account yet: register or link. */
  | { readonly kind: 'new' }
  /** Waiting for the primary device to approve this browser. */
  | { readonly kind: 'linking'; readonly code: string }
  | { readonly kind: 'ready'; readonly account: AccountView };

export interface EngineStatus {
  readonly phase: EnginePhase;
  readonly connection: ConnectionState;
  /**
   * While the stored history is still being indexed at start: how far, in percent (search
   * answers from what is indexed so far). Absent once it is all in.
   */
  readonly indexing?: number;
}

/** `d:<username>` for a conversation with one person, `g:<groupId>` for a group. */
export type ConversationId = string;

export interface ConversationSummary {
  readonly id: ConversationId;
  readonly kind: 'direct' | 'group';
  readonly title: string;
  readonly lastText?: string;
  readonly lastAt?: number;
  readonly lastFromMe?: boolean;
  readonly unread: number;
  /** Direct: the contact's key changed and sending is blocked until accepted. */
  readonly keyChanged?: boolean;
}

/** What the UI shows for one message: queued, sent, delivered, read, failed, or received. */
export type ItemState = 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'received';

/** A file sent with a message, as the page shows it (the key stays in the engine). */
export interface AttachmentView {
  /** Its place in the message (what `attachment` asks for). */
  readonly index: number;
  readonly name: string;
  /** The file's exact size in bytes. */
  readonly size: number;
  readonly contentType: string;
  /** The sender's small JPEG or PNG (base64), for images. */
  readonly thumbnail?: string;
}

/** One emoji's reactions on a message. */
export interface ReactionView {
  readonly emoji: string;
  /** Who reacted with it (usernames; ours is `you`). */
  readonly by: readonly string[];
  /** We reacted with it. */
  readonly mine: boolean;
}

/** The message a reply quotes; `sender` and `excerpt` only when that message is known here. */
export interface QuoteView {
  readonly id: string;
  readonly sender?: string;
  readonly excerpt?: string;
  /** The quoted message was deleted for everyone. */
  readonly deleted?: boolean;
}

export interface TimelineItem {
  readonly id: string;
  readonly conv: ConversationId;
  /** A message, or an event in the conversation (a membership change, a key change). */
  readonly kind: 'message' | 'event';
  readonly direction: 'in' | 'out';
  /** The sender's username (ours for outgoing messages). */
  readonly sender: string;
  readonly text: string;
  /** Sender's clock, ms since the epoch. */
  readonly at: number;
  readonly state: ItemState;
  /** Why a failed message failed (an error code). */
  readonly error?: string;
  /** The message this one replies to. */
  readonly replyTo?: QuoteView;
  readonly reactions?: readonly ReactionView[];
  /** Earlier texts, oldest first, each with when it was replaced (the message was edited). */
  readonly edits?: readonly { readonly text: string; readonly replacedAt: number }[];
  /** Deleted for everyone: `text` is empty, a tombstone shows. */
  readonly deleted?: boolean;
  readonly attachments?: readonly AttachmentView[];
}

export interface SearchHit {
  readonly conv: ConversationId;
  readonly title: string;
  readonly item: TimelineItem;
}

/** Something the user must see that is not a message: a refused ghost, a dropped envelope. */
export interface Notice {
  readonly id: string;
  readonly at: number;
  readonly level: 'info' | 'warning';
  readonly text: string;
  readonly conv?: ConversationId;
}

/** One of this account's devices. */
export interface DeviceView {
  readonly deviceId: number;
  readonly createdAt: number;
  /** In the account's signed device list (an unsigned one never gets a message). */
  readonly signed: boolean;
  /** This browser. */
  readonly current: boolean;
}

export interface GroupMemberView {
  readonly username: string;
  readonly devices: number;
  readonly you: boolean;
}

/** A group as its MLS state says (never as the relay says). */
export interface GroupView {
  readonly conv: ConversationId;
  readonly name: string;
  readonly status: 'active' | 'leaving' | 'left' | 'removed';
  readonly members: readonly GroupMemberView[];
  /** Why the group cannot follow new changes (a refused commit's code). */
  readonly blocked?: string;
}

export interface SafetyView {
  readonly username: string;
  /** 60 digits. */
  readonly digits: string;
  /** What the QR code carries (libsignal's scannable fingerprint). */
  readonly scannable: Uint8Array;
  /** The contact's key changed and the new one is not accepted yet (this is the new one's). */
  readonly keyChanged: boolean;
  /** The user compared this number with the contact and marked it verified. */
  readonly verified: boolean;
}

/**
 * A contact's key transparency status (the SDK's, as `parley verify` prints it): `verified` (the
 * key is the one the log shows everyone, and monitored), `not verified` (no log, or not looked up
 * in it yet), `cannot verify` (monitoring overdue or withheld), `log forked` (the log showed two
 * histories: nothing is sent).
 */
export type KtLabelView = 'verified' | 'not verified' | 'cannot verify' | 'log forked';

export interface KtContactView {
  readonly username: string;
  readonly status: KtLabelView;
  /** A log is pinned (else keys are trusted on first use). */
  readonly enabled: boolean;
  /** What could not be checked for this contact (the last monitoring run's failures, overdue). */
  readonly problems: readonly string[];
}

/** The result of a monitoring run this engine made. */
export interface KtRunView {
  readonly at: number;
  readonly checked: number;
  /** Labels that could not be checked (described), and the error that stopped the run. */
  readonly failed: readonly string[];
  readonly error?: string;
}

/** This device's key transparency state (`parley kt status`). */
export interface KtStatusView {
  readonly enabled: boolean;
  readonly mode?: string;
  /** The log's Reasonable Monitoring Window (ms). */
  readonly rmw?: number;
  /** Size of the last verified head. */
  readonly treeSize?: number;
  /** Labels monitored. */
  readonly monitored: number;
  /** Labels whose monitoring is overdue, described. */
  readonly overdue: readonly string[];
  /** The last monitoring run (this engine's if it made one, else the stored one). */
  readonly lastRun?: KtRunView;
  /** Gossip proved that the log showed two histories. */
  readonly forked: boolean;
}

export interface SettingsView {
  readonly readReceipts: boolean;
  /** Send and show typing indicators (off by default, as in the SDK). */
  readonly typingIndicators: boolean;
  /** Local data is locked with a passphrase. */
  readonly passphrase: boolean;
}

/**
 * A contact's profile as read with the key they sent us: their own words, so shown as text only
 * and always beside the username somewhere (a name can copy another contact's).
 */
export interface ProfileView {
  readonly username: string;
  /** Without control characters, at most `MAX_PROFILE_NAME_CHARS` characters. */
  readonly name: string;
  /** A small raster image (JPEG, PNG or WebP). */
  readonly avatar?: Blob;
}

/** Our own profile, as the relay holds it (nothing set yet: empty). */
export interface OwnProfileView {
  readonly name?: string;
  readonly avatar?: Blob;
}

/** Every request the UI may make, with its parameters and result. */
export interface Requests {
  status: { params: Record<string, never>; result: EngineStatus };
  /** Opens the store locked with a passphrase. */
  unlock: { params: { passphrase: string }; result: null };
  /** Closes the store (with a passphrase set: until it is typed again). */
  lock: { params: Record<string, never>; result: null };
  /** Sets, changes (`current` needed) or removes (no `next`) the passphrase. */
  setPassphrase: { params: { current?: string; next?: string }; result: null };
  /** Deletes every local key and message, and the key that protects them. */
  wipe: { params: Record<string, never>; result: null };
  /** Deletes the account at the relay, then wipes. */
  deleteAccount: { params: Record<string, never>; result: null };
  register: { params: { username: string }; result: AccountView };
  /** On a new browser: shows a code for the primary device to approve. */
  startLink: { params: Record<string, never>; result: { code: string } };
  /** On the primary: approves the device showing `code`. */
  approveLink: { params: { code: string }; result: { deviceId: number } };
  devices: { params: Record<string, never>; result: DeviceView[] };
  removeDevice: { params: { deviceId: number }; result: null };
  settings: { params: Record<string, never>; result: SettingsView };
  setReadReceipts: { params: { on: boolean }; result: null };
  setTypingIndicators: { params: { on: boolean }; result: null };
  /** Tells the conversation we started or stopped typing (nothing is sent while they are off). */
  typing: { params: { conv: ConversationId; started: boolean }; result: { sent: boolean } };
  /** The contacts' profiles read so far (more arrive as `profile` events). */
  profiles: { params: Record<string, never>; result: ProfileView[] };
  ownProfile: { params: Record<string, never>; result: OwnProfileView };
  /**
   * Sets our name and avatar (primary device only). `avatar`: a picked image (made a small JPEG
   * by the engine), `null` to remove it, absent to keep the current one.
   */
  setProfile: { params: { name: string; avatar?: Blob | null }; result: null };
  about: { params: Record<string, never>; result: { sqlite: string } };
  conversations: { params: Record<string, never>; result: ConversationSummary[] };
  /** Starts (or opens) a conversation with a user, checking that the user exists. */
  openDirect: { params: { username: string }; result: ConversationSummary };
  /** Messages of a conversation, newest last; `before` pages back from an item's time. */
  timeline: {
    params: {
      conv: ConversationId;
      before?: { readonly at: number; readonly id: string };
      limit: number;
    };
    result: TimelineItem[];
  };
  /**
   * `since` (ms since the epoch): a retry after the engine changed mid-send; the new engine
   * sends only if no message of ours with this text was stored in the conversation since then.
   */
  send: {
    params: {
      conv: ConversationId;
      text: string;
      since?: number;
      /** The id of the message this one replies to. */
      replyTo?: string;
      /** Files to send with it (encrypted and uploaded by the engine). */
      files?: readonly File[];
    };
    result: { id: string };
  };
  /** Adds our reaction to a message (replacing our earlier one), or takes it back. */
  react: {
    params: { conv: ConversationId; id: string; emoji: string; remove: boolean };
    result: null;
  };
  /** Replaces the text of one of our messages (every device keeps the earlier text). */
  edit: { params: { conv: ConversationId; id: string; text: string }; result: null };
  /** Deletes one of our messages for everyone (a tombstone stays). */
  deleteMessage: { params: { conv: ConversationId; id: string }; result: null };
  /** Downloads, checks and decrypts a message's file; its bytes, typed. */
  attachment: { params: { conv: ConversationId; id: string; index: number }; result: Blob };
  markRead: { params: { conv: ConversationId }; result: null };
  /** Sends a failed or queued message of ours again. */
  retry: { params: { conv: ConversationId; id: string }; result: null };
  search: { params: { query: string; limit: number }; result: SearchHit[] };
  /** Looks the contact up again (notices a changed key before anything is sent). */
  checkContact: { params: { username: string }; result: null };
  safetyNumber: { params: { username: string }; result: SafetyView };
  /** The contact's key transparency status (after `safetyNumber` looked them up). */
  contactTransparency: { params: { username: string }; result: KtContactView };
  /** The pinned log, its head and the last monitoring run. */
  ktStatus: { params: Record<string, never>; result: KtStatusView };
  /** Runs contact monitoring now (as the timer does every window); the status after it. */
  ktMonitor: { params: Record<string, never>; result: KtStatusView };
  markVerified: { params: { username: string; verified: boolean }; result: null };
  /** Accepts a contact's new key after a change; sending resumes. */
  acceptKey: { params: { username: string }; result: null };
  createGroup: { params: { name: string; members: string[] }; result: ConversationSummary };
  groupInfo: { params: { conv: ConversationId }; result: GroupView };
  addMembers: { params: { conv: ConversationId; usernames: string[] }; result: null };
  removeMembers: { params: { conv: ConversationId; usernames: string[] }; result: null };
  leaveGroup: { params: { conv: ConversationId }; result: null };
  /** A conversation's disappearing-message timer (seconds; 0: off). */
  disappearingTimer: { params: { conv: ConversationId }; result: { seconds: number } };
  /** Sets it for everyone in the conversation (1:1 or group) and all their devices. */
  setDisappearingTimer: { params: { conv: ConversationId; seconds: number }; result: null };
}

/** Requests the engine host answers itself (the store's life); the engine answers the rest. */
export const HOST_REQUESTS = [
  'status',
  'unlock',
  'lock',
  'setPassphrase',
  'wipe',
  'deleteAccount',
] as const satisfies readonly RequestName[];

export type RequestName = keyof Requests;
export type Request = {
  [K in RequestName]: { readonly type: K; readonly params: Requests[K]['params'] };
}[RequestName];
/** A request for the engine itself (not one of {@link HOST_REQUESTS}). */
export type EngineRequest = Exclude<Request, { type: (typeof HOST_REQUESTS)[number] }>;

export type EngineEvent =
  | { readonly type: 'status'; readonly status: EngineStatus }
  | { readonly type: 'conversation'; readonly summary: ConversationSummary }
  /** Items added to or changed in a conversation. */
  | { readonly type: 'items'; readonly conv: ConversationId; readonly items: TimelineItem[] }
  /** A conversation's disappearing-message timer changed (seconds; 0: off). */
  | { readonly type: 'timer'; readonly conv: ConversationId; readonly seconds: number }
  /** Items gone from a conversation (their disappearing-message timer ran out). */
  | { readonly type: 'removed'; readonly conv: ConversationId; readonly ids: readonly string[] }
  | { readonly type: 'notice'; readonly notice: Notice }
  /** A contact's profile was read and is new or changed. */
  | { readonly type: 'profile'; readonly profile: ProfileView }
  /**
   * Someone started or stopped typing in a conversation; a start shows until `until` (ms since
   * the epoch, the SDK's staleness) unless a stop or a message from them comes first.
   */
  | {
      readonly type: 'typing';
      readonly conv: ConversationId;
      readonly username: string;
      readonly started: boolean;
      readonly until: number;
    };

/** A failed request's error: a stable code and a sentence for people. */
export interface EngineErrorBody {
  readonly code: string;
  readonly message: string;
}

/** From a tab to the engine. */
export type ToEngine =
  /** A tab asks who the engine is (answered with `leader`). */
  | { readonly kind: 'hello'; readonly tab: string }
  | {
      readonly kind: 'request';
      readonly tab: string;
      /** The engine the tab believes leads; others ignore the request. */
      readonly engine: string;
      readonly id: number;
      readonly request: Request;
    };

/** From the engine to the tabs. */
export type FromEngine =
  | { readonly kind: 'leader'; readonly engine: string }
  | {
      readonly kind: 'reply';
      readonly tab: string;
      readonly id: number;
      readonly ok: true;
      readonly value: unknown;
    }
  | {
      readonly kind: 'reply';
      readonly tab: string;
      readonly id: number;
      readonly ok: false;
      readonly error: EngineErrorBody;
    }
  | { readonly kind: 'event'; readonly engine: string; readonly event: EngineEvent };

/** What a worker tells the tab that started it (not the other tabs): it leads. */
export interface WorkerToTab {
  readonly leading: true;
  /** When this worker got the engine lock, and when its engine was open (ms since the epoch). */
  readonly lockedAt: number;
  readonly readyAt?: number;
}

/** Error codes the engine itself adds to the SDK's. */
export const ENGINE_ERRORS = {
  /** The engine that had the request stopped (its tab closed); another one leads now. */
  ENGINE_CHANGED: 'ENGINE_CHANGED',
  /** The request is not possible in the engine's current phase. */
  NOT_READY: 'NOT_READY',
  /** Something unexpected; the message says no more than the code. */
  INTERNAL: 'INTERNAL',
  /** The relay removed this device from its account: it can no longer send or receive. */
  DEVICE_REMOVED: 'DEVICE_REMOVED',
} as const;

/** `d:<username>` for a direct conversation. */
export function directId(username: string): ConversationId {
  return `d:${username.toLowerCase()}`;
}

/** `g:<groupId>` for a group conversation. */
export function groupConvId(groupId: string): ConversationId {
  return `g:${groupId}`;
}

/** The username or group id inside a conversation id. */
export function parseConvId(
  conv: ConversationId,
): { kind: 'direct'; username: string } | { kind: 'group'; groupId: string } | undefined {
  if (conv.startsWith('d:') && conv.length > 2) return { kind: 'direct', username: conv.slice(2) };
  if (conv.startsWith('g:') && conv.length > 2) return { kind: 'group', groupId: conv.slice(2) };
  return undefined;
}
