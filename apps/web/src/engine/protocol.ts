/**
 * The one message protocol between the UI (any tab) and the engine (the worker that won the
 * election): every request with its parameters and result, every event, and the envelopes
 * they travel in over the BroadcastChannel. Components never see anything else of the engine.
 */

/** The BroadcastChannel every tab and engine worker of this origin joins. */
export const ENGINE_CHANNEL = 'parley-engine-v1';
/** The Web Lock whose holder is the engine: one per origin (one account per origin). */
export const ENGINE_LOCK = 'parley-engine-v1';

export type ConnectionState = 'connecting' | 'online' | 'offline' | 'reconnecting';

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

/** Every request the UI may make, with its parameters and result. */
export interface Requests {
  status: { params: Record<string, never>; result: EngineStatus };
  register: { params: { username: string }; result: AccountView };
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
  send: { params: { conv: ConversationId; text: string }; result: { id: string } };
  markRead: { params: { conv: ConversationId }; result: null };
  search: { params: { query: string; limit: number }; result: SearchHit[] };
}

export type RequestName = keyof Requests;
export type Request = {
  [K in RequestName]: { readonly type: K; readonly params: Requests[K]['params'] };
}[RequestName];

export type EngineEvent =
  | { readonly type: 'status'; readonly status: EngineStatus }
  | { readonly type: 'conversation'; readonly summary: ConversationSummary }
  /** Items added to or changed in a conversation. */
  | { readonly type: 'items'; readonly conv: ConversationId; readonly items: TimelineItem[] }
  | { readonly type: 'notice'; readonly notice: Notice };

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

/** Error codes the engine itself adds to the SDK's. */
export const ENGINE_ERRORS = {
  /** The engine that had the request stopped (its tab closed); another one leads now. */
  ENGINE_CHANGED: 'ENGINE_CHANGED',
  /** The request is not possible in the engine's current phase. */
  NOT_READY: 'NOT_READY',
  /** Something unexpected; the message says no more than the code. */
  INTERNAL: 'INTERNAL',
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
