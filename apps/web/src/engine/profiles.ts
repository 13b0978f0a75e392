/**
 * Profiles and typing indicators in the engine. Contacts' display names and avatars are read
 * from the relay with the profile key each contact sent us (the SDK's `profile`), kept in
 * memory, and told to the tabs as `profile` events whenever one is new or changed: at start for
 * the most recent conversations, and again (at most every `PROFILE_REFRESH_MS` per contact) when
 * a message from them arrives or their conversation opens; the SDK sends no notice of a profile
 * change, so this is how a change reaches the page. A name is the contact's free choice: bidi
 * and other control characters are taken out, and its length is bounded; an avatar is shown
 * only if its type is a raster image (`file-types.ts`), as a Blob the page turns into a URL.
 *
 * Our own profile is set here from the page (the picked image made a small JPEG in this worker),
 * and typing indicators are sent and received through the SDK (off unless the user turns them
 * on, which the SDK enforces on both sides).
 */
import { fromBase64, toBase64 } from '@parley/bytes';
import { ClientError, clientLimits, type ClientEvent, type ParleyClient } from '@parley/client';
import { smallJpegOf } from './attachment-files.js';
import { bounded, EngineError } from './engine-error.js';
import { isInlineImage, blobTypeOf } from './file-types.js';
import {
  AVATAR_ATTEMPTS,
  MAX_AVATAR_BYTES,
  MAX_AVATAR_SOURCE_BYTES,
  MAX_PROFILE_NAME_CHARS,
  MAX_PROFILES_AT_START,
  MAX_PROFILES_KEPT,
  PROFILE_REFRESH_MS,
} from './limits.js';
import {
  directId,
  ENGINE_ERRORS,
  groupConvId,
  parseConvId,
  type ConversationId,
  type ConversationSummary,
  type EngineEvent,
  type EngineRequest,
  type OwnProfileView,
  type ProfileView,
  type Requests,
} from './protocol.js';

/** The requests this module answers for the engine. */
export const PROFILE_REQUESTS = [
  'profiles',
  'ownProfile',
  'setProfile',
  'typing',
  'setTypingIndicators',
] as const;
export type ProfileRequest = Extract<EngineRequest, { type: (typeof PROFILE_REQUESTS)[number] }>;

/** The SDK's staleness of a typing indicator: how long the page shows one (ms). */
export const TYPING_SHOWN_MS = clientLimits.TYPING_MAX_AGE_MS;

/** Control characters (C0, C1) and the bidi embeddings, overrides and isolates. */
const UNSAFE_CHARS = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** A display name as the page may show it: no control characters, at most the bound, trimmed. */
export function safeName(name: string): string {
  // Cut in UTF-16 units, as the SDK counts, without leaving half a surrogate pair.
  const cut = name.replace(UNSAFE_CHARS, '').slice(0, MAX_PROFILE_NAME_CHARS);
  return cut.replace(/[\ud800-\udbff]$/u, '').trim();
}

/** A profile's avatar as a typed Blob; undefined unless it is a raster image that decodes. */
function avatarBlob(a: { contentType: string; data: string } | undefined): Blob | undefined {
  if (a === undefined || !isInlineImage(a.contentType)) return undefined;
  try {
    return new Blob([new Uint8Array(fromBase64(a.data))], { type: blobTypeOf(a.contentType) });
  } catch {
    return undefined;
  }
}

export interface ProfileDeps {
  readonly client: ParleyClient;
  readonly emit: (event: EngineEvent) => void;
  readonly now: () => number;
  /** The SDK's name for a conversation (throws on a bad id). */
  readonly target: (conv: ConversationId) => { username: string } | { group: string };
  /** The username of a contact's account id, if known. */
  readonly username: (accountId: string) => string | undefined;
  /** The relay removed this device: it sends nothing more. */
  readonly removed: () => boolean;
}

interface Known {
  readonly view: ProfileView;
  /** The avatar as the profile carries it (base64), to tell a change from a repeat. */
  readonly avatarData?: string;
}

export class EngineProfiles {
  readonly #d: ProfileDeps;
  /** The profiles read, by username (in the order read: the first is the oldest). */
  readonly #known = new Map<string, Known>();
  /** When each username's profile was last asked for. */
  readonly #askedAt = new Map<string, number>();
  #closed = false;

  constructor(deps: ProfileDeps) {
    this.#d = deps;
  }

  close(): void {
    this.#closed = true;
  }

  /** Whether `close` ran (also while a read was under way). */
  #isClosed(): boolean {
    return this.#closed;
  }

  /** Throws unless there is an account and this device was not removed. */
  #requireConnected(): void {
    if (this.#d.client.account === undefined)
      throw new EngineError(ENGINE_ERRORS.NOT_READY, 'register first');
    if (this.#d.removed())
      throw new EngineError(
        ENGINE_ERRORS.DEVICE_REMOVED,
        'this browser was removed from your account',
      );
  }

  /** Answers one of `PROFILE_REQUESTS`. */
  async answer(request: ProfileRequest): Promise<unknown> {
    switch (request.type) {
      case 'profiles':
        return this.list();
      case 'ownProfile':
        return this.own();
      case 'setProfile':
        this.#requireConnected();
        return this.setOwn(request.params);
      case 'setTypingIndicators':
        this.#d.client.setTypingIndicators(request.params.on);
        return null;
      case 'typing': {
        this.#requireConnected();
        const to = this.#d.target(request.params.conv);
        return { sent: await this.#d.client.sendTyping(to, request.params.started) };
      }
      default:
        return request satisfies never;
    }
  }

  /** Follows the SDK's events: who is typing, and whose profile to read again. */
  onClientEvent(e: ClientEvent): void {
    switch (e.type) {
      case 'typing': {
        const conv = e.groupId !== undefined ? groupConvId(e.groupId) : directId(e.from);
        const until = this.#d.now() + TYPING_SHOWN_MS;
        this.#d.emit({ type: 'typing', conv, username: e.from, started: e.started, until });
        break;
      }
      case 'message':
      case 'group-message':
        void this.seen(e.from);
        break;
      default:
        break;
    }
  }

  /** Every profile read so far. */
  list(): ProfileView[] {
    return [...this.#known.values()].map((k) => k.view);
  }

  /**
   * Reads the profiles of the people in the most recent direct conversations, one at a time;
   * failures are skipped (read again when they are next heard from).
   */
  async readAll(conversations: readonly ConversationSummary[]): Promise<void> {
    const recent = conversations
      .filter((c) => c.kind === 'direct')
      .sort((a, b) => (b.lastAt ?? 0) - (a.lastAt ?? 0))
      .slice(0, MAX_PROFILES_AT_START);
    for (const c of recent) {
      const target = parseConvId(c.id);
      if (target?.kind !== 'direct') continue;
      const u = target.username;
      if (this.#closed) return;
      await this.seen(u);
    }
  }

  /**
   * Profile keys of these accounts were stored (a contact's first, or a rotated one, which the
   * SDK sends just after a message): their profiles are read now, whenever they were last.
   */
  keysArrived(accountIds: readonly string[]): void {
    for (const id of accountIds) {
      const u = this.#d.username(id);
      if (u !== undefined) void this.seen(u, true);
    }
  }

  /**
   * `username` was heard from: reads their profile again unless it was read in the last
   * `PROFILE_REFRESH_MS` (or `now`: a new key came).
   */
  async seen(username: string, now = false): Promise<void> {
    const me = this.#d.client.account?.username;
    const u = username.toLowerCase();
    if (me === undefined || u === me || this.#closed) return;
    const asked = this.#askedAt.get(u);
    const at = this.#d.now();
    if (!now && asked !== undefined && at - asked < PROFILE_REFRESH_MS) return;
    this.#askedAt.delete(u);
    this.#askedAt.set(u, at);
    if (this.#askedAt.size > MAX_PROFILES_KEPT) {
      const oldest = this.#askedAt.keys().next().value;
      if (oldest !== undefined) this.#askedAt.delete(oldest);
    }
    try {
      const p = await this.#d.client.profile(u);
      if (p !== undefined && !this.#isClosed()) this.#put(u, p.name, p.avatar);
    } catch (error) {
      // The relay or the contact's key failed: the name shown stays the last one read.
      if (!(error instanceof ClientError)) throw error;
    }
  }

  #put(username: string, rawName: string, avatar?: { contentType: string; data: string }): void {
    const name = safeName(rawName);
    const shown = avatar !== undefined && isInlineImage(avatar.contentType) ? avatar : undefined;
    const before = this.#known.get(username);
    if (before?.view.name === name && before.avatarData === shown?.data) return;
    const blob = avatarBlob(shown);
    const view: ProfileView = { username, name, ...(blob !== undefined && { avatar: blob }) };
    this.#known.delete(username);
    this.#known.set(username, { view, ...(shown !== undefined && { avatarData: shown.data }) });
    if (this.#known.size > MAX_PROFILES_KEPT) {
      const oldest = this.#known.keys().next().value;
      if (oldest !== undefined) this.#known.delete(oldest);
    }
    this.#d.emit({ type: 'profile', profile: view });
  }

  /** Our own profile as the relay holds it (undefined parts: none set). */
  async own(): Promise<OwnProfileView> {
    const me = this.#d.client.account;
    if (me === undefined) throw new EngineError('NOT_READY', 'register first');
    if (me.accountPrivateKey === undefined) {
      // A linked device holds the profile key only once the primary sent it; asking the SDK
      // before then would make a key of its own. The name last read is what it shows.
      const name = this.#d.client.nameOf(me.accountId);
      return name === undefined ? {} : { name: safeName(name) };
    }
    const p = await this.#d.client.profile(me.username);
    if (p === undefined) return {};
    const avatar = avatarBlob(p.avatar);
    return { name: safeName(p.name), ...(avatar !== undefined && { avatar }) };
  }

  /**
   * Sets our profile (primary device only, as the SDK requires): the name, and the avatar made
   * from `avatar` (a picked image), kept as it is (undefined) or removed (null).
   */
  async setOwn(p: Requests['setProfile']['params']): Promise<null> {
    const me = this.#d.client.account;
    if (me === undefined) throw new EngineError('NOT_READY', 'register first');
    if (me.accountPrivateKey === undefined)
      throw new EngineError('MISUSE', 'set your profile on your primary device');
    const name = bounded(p.name.trim(), MAX_PROFILE_NAME_CHARS, 'the name');
    if (name === '' || safeName(name) !== name)
      throw new EngineError('INVALID_INPUT', 'choose a name without control characters');
    let avatar: { contentType: string; data: string } | undefined;
    if (p.avatar instanceof Blob) {
      const jpeg = await smallJpegOf(p.avatar, {
        maxSourceBytes: MAX_AVATAR_SOURCE_BYTES,
        attempts: AVATAR_ATTEMPTS,
        maxBytes: MAX_AVATAR_BYTES,
      });
      if (jpeg === undefined)
        throw new EngineError('INVALID_INPUT', 'that file could not be read as an image');
      avatar = { contentType: 'image/jpeg', data: toBase64(jpeg) };
    } else if (p.avatar === undefined) {
      avatar = (await this.#d.client.profile(me.username))?.avatar;
    }
    await this.#d.client.setProfile({ name, ...(avatar !== undefined && { avatar }) });
    return null;
  }
}
