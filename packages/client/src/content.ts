/**
 * What a Signal plaintext carries: a versioned structure, UTF-8 JSON with `v: 1`. Text with
 * optional attachment pointers; receipts and sent-message sync; later kinds add a `kind`. A kind or
 * version this client does not know parses as `unsupported`, so it is shown, not dropped.
 */
import { utf8Decode, utf8Encode } from '@parley/bytes';
import { ClientError } from './errors.js';
import {
  MAX_ATTACHMENT_NAME_LENGTH,
  MAX_ATTACHMENT_PLAINTEXT_BYTES,
  MAX_ATTACHMENTS_PER_MESSAGE,
  MAX_CONTENT_BYTES,
  MAX_CONTENT_TYPE_LENGTH,
  MAX_DISAPPEARING_SECONDS,
  MAX_REACTION_LENGTH,
  MAX_TEXT_BYTES,
  MAX_THUMBNAIL_BYTES,
} from './limits.js';

export const CONTENT_VERSION = 1;
const MAX_RECEIPT_IDS = 100;
const MAX_ID_LENGTH = 64;

/**
 * A file sent with a message: where its encrypted blob is (`id` at the relay) and what the
 * receiver needs to fetch, check and decrypt it (`attachment-crypto.ts`). Only ever inside an
 * end-to-end encrypted message.
 */
export interface AttachmentPointer {
  /** The relay's id for the blob. */
  readonly id: string;
  /** The 64-byte attachment key (base64). */
  readonly key: string;
  /** SHA-256 of the whole blob (base64). */
  readonly digest: string;
  /** SHA-256 of the file (hex), what the user can compare. */
  readonly sha256: string;
  /** The file's exact size in bytes (the blob is padded). */
  readonly size: number;
  readonly contentType: string;
  readonly name: string;
  /** A small image made by the sender (base64, `image/jpeg` or `image/png`), for images. */
  readonly thumbnail?: string;
}

export type Content =
  | {
      readonly kind: 'text';
      readonly id: string;
      readonly text: string;
      readonly sentAt: number;
      readonly attachments?: readonly AttachmentPointer[];
      /** The id of the message this one replies to. */
      readonly replyTo?: string;
      /** The conversation's disappearing timer when sent (seconds): gone `sentAt` + this later. */
      readonly expiresIn?: number;
    }
  | {
      readonly kind: 'receipt';
      readonly receipt: 'delivered' | 'read';
      readonly ids: readonly string[];
    }
  /** A message one of our devices sent to `to` (an account id), copied to our other devices. */
  | {
      readonly kind: 'sent';
      readonly to: string;
      readonly id: string;
      readonly text: string;
      readonly sentAt: number;
      readonly attachments?: readonly AttachmentPointer[];
      readonly replyTo?: string;
      readonly expiresIn?: number;
    }
  /**
   * Actions on an earlier message `target` (`message-actions.ts`); `to` (an account id) only in
   * the copy to our own devices, naming the conversation.
   */
  | {
      readonly kind: 'reaction';
      readonly target: string;
      readonly emoji: string;
      readonly remove: boolean;
      readonly to?: string;
    }
  | {
      readonly kind: 'edit';
      readonly target: string;
      readonly text: string;
      readonly editedAt: number;
      readonly to?: string;
    }
  | { readonly kind: 'delete'; readonly target: string; readonly to?: string }
  /** Someone started or stopped typing (shown only where typing indicators are on). */
  | { readonly kind: 'typing'; readonly started: boolean; readonly at: number }
  /**
   * The conversation's disappearing-message timer set to `seconds` (0: off) at `at`; `to` only
   * in the copy to our own devices (`disappearing.ts`).
   */
  | { readonly kind: 'timer'; readonly seconds: number; readonly at: number; readonly to?: string }
  /**
   * From a device restored from a backup: its sessions were dropped, this message starts new
   * ones (`backup.ts`). Shows nothing.
   */
  | { readonly kind: 'session-renewed' }
  /**
   * A member device of `groupId` that could not follow a commit asks to be added again; its
   * leaf had the HPKE key `leafKey` (base64) when it asked. Sent 1:1 to the other members.
   */
  | { readonly kind: 'group-rejoin'; readonly groupId: string; readonly leafKey: string }
  /**
   * From our primary to our other devices: the account key changed to `accountKey` (33-byte
   * form, base64); `endorsement` (base64) is the old key's signature over it (`account-key.ts`).
   */
  | { readonly kind: 'account-key'; readonly accountKey: string; readonly endorsement: string }
  /** From one of our devices to the others: it removed itself; the primary drops it from the list. */
  | { readonly kind: 'device-leaving' }
  /** The sender's profile key (32 bytes, base64): its delivery token and profile (`profiles.ts`). */
  | { readonly kind: 'profile-key'; readonly key: string }
  | { readonly kind: 'unsupported' };

export function encodeContent(content: Content): Uint8Array {
  if (
    (content.kind === 'text' || content.kind === 'sent' || content.kind === 'edit') &&
    utf8Encode(content.text).length > MAX_TEXT_BYTES
  )
    throw new ClientError('INVALID_INPUT', `text longer than ${MAX_TEXT_BYTES} bytes`);
  if (
    (content.kind === 'text' || content.kind === 'sent') &&
    content.attachments !== undefined &&
    !attachmentsOf(content.attachments).ok
  )
    throw new ClientError('INVALID_INPUT', 'invalid attachments');
  const bytes = utf8Encode(JSON.stringify({ v: CONTENT_VERSION, ...content }));
  if (bytes.length > MAX_CONTENT_BYTES) throw new ClientError('INVALID_INPUT', 'message too large');
  return bytes;
}

const MAX_KEY_TEXT = 128;
function isKeyText(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_KEY_TEXT;
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;
}

/** A disappearing timer in whole seconds, `min` (0: off, allowed for `timer`) to the maximum. */
function isTimer(v: unknown, min: number): v is number {
  return (
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= MAX_DISAPPEARING_SECONDS
  );
}

function isTime(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;
function isBase64(v: unknown, maxBytes: number, exactBytes?: number): v is string {
  if (typeof v !== 'string' || v.length % 4 !== 0 || !BASE64.test(v)) return false;
  const bytes = (v.length / 4) * 3 - (v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0);
  return exactBytes === undefined ? bytes <= maxBytes : bytes === exactBytes;
}
function isLabel(v: unknown, max: number): v is string {
  // No control characters: names and types are shown and become file names.
  // eslint-disable-next-line no-control-regex
  return typeof v === 'string' && v.length <= max && !/[\u0000-\u001f\u007f]/.test(v);
}

/** A well-formed attachment pointer, or undefined. */
export function attachmentOf(v: unknown): AttachmentPointer | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const { id, key, digest, sha256, size, contentType, name, thumbnail } = o;
  if (
    !isId(id) ||
    !isBase64(key, 64, 64) ||
    !isBase64(digest, 32, 32) ||
    typeof sha256 !== 'string' ||
    !HEX_SHA256.test(sha256) ||
    typeof size !== 'number' ||
    !Number.isSafeInteger(size) ||
    size < 0 ||
    size > MAX_ATTACHMENT_PLAINTEXT_BYTES ||
    !isLabel(contentType, MAX_CONTENT_TYPE_LENGTH) ||
    !isLabel(name, MAX_ATTACHMENT_NAME_LENGTH) ||
    (thumbnail !== undefined && !isBase64(thumbnail, MAX_THUMBNAIL_BYTES))
  )
    return undefined;
  const base = { id, key, digest, sha256, size, contentType, name };
  return thumbnail === undefined ? base : { ...base, thumbnail };
}

/** The `attachments` field: absent, or 1 to `MAX_ATTACHMENTS_PER_MESSAGE` valid pointers. */
function attachmentsOf(v: unknown): { ok: boolean; list?: AttachmentPointer[] } {
  if (v === undefined) return { ok: true };
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_ATTACHMENTS_PER_MESSAGE)
    return { ok: false };
  const list = v.map(attachmentOf);
  if (list.some((a) => a === undefined)) return { ok: false };
  return { ok: true, list: list as AttachmentPointer[] };
}

/** Parses content; throws `INVALID_INPUT` for malformed known kinds. */
export function decodeContent(bytes: Uint8Array): Content {
  if (bytes.length > MAX_CONTENT_BYTES) throw new ClientError('INVALID_INPUT', 'content too large');
  let v: unknown;
  try {
    v = JSON.parse(utf8Decode(bytes));
  } catch {
    throw new ClientError('INVALID_INPUT', 'malformed content');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ClientError('INVALID_INPUT', 'malformed content');
  const o = v as Record<string, unknown>;
  if (o['v'] !== CONTENT_VERSION) return { kind: 'unsupported' };
  const text = o['text'];
  const sentAt = o['sentAt'];
  const id = o['id'];
  switch (o['kind']) {
    case 'text':
    case 'sent': {
      const to = o['to'];
      const replyTo = o['replyTo'];
      const expiresIn = o['expiresIn'];
      const att = attachmentsOf(o['attachments']);
      if (
        !isId(id) ||
        typeof text !== 'string' ||
        typeof sentAt !== 'number' ||
        !att.ok ||
        (replyTo !== undefined && !isId(replyTo)) ||
        (expiresIn !== undefined && !isTimer(expiresIn, 1)) ||
        (o['kind'] === 'sent' && !isId(to))
      )
        break;
      const extra = {
        ...(att.list === undefined ? {} : { attachments: att.list }),
        ...(replyTo === undefined ? {} : { replyTo }),
        ...(expiresIn === undefined ? {} : { expiresIn }),
      };
      return o['kind'] === 'sent' && isId(to)
        ? { kind: 'sent', to, id, text, sentAt, ...extra }
        : { kind: 'text', id, text, sentAt, ...extra };
    }
    case 'reaction':
    case 'edit':
    case 'delete': {
      const target = o['target'];
      const to = o['to'];
      if (!isId(target) || (to !== undefined && !isId(to))) break;
      const extra = to === undefined ? {} : { to };
      if (o['kind'] === 'delete') return { kind: 'delete', target, ...extra };
      if (o['kind'] === 'edit') {
        const editedAt = o['editedAt'];
        if (typeof text === 'string' && typeof editedAt === 'number')
          return { kind: 'edit', target, text, editedAt, ...extra };
        break;
      }
      const emoji = o['emoji'];
      const remove = o['remove'];
      if (
        typeof emoji === 'string' &&
        emoji.length > 0 &&
        emoji.length <= MAX_REACTION_LENGTH &&
        typeof remove === 'boolean'
      )
        return { kind: 'reaction', target, emoji, remove, ...extra };
      break;
    }
    case 'receipt': {
      const receipt = o['receipt'];
      const ids = o['ids'];
      if (
        (receipt === 'delivered' || receipt === 'read') &&
        Array.isArray(ids) &&
        ids.length <= MAX_RECEIPT_IDS &&
        ids.every(isId)
      )
        return { kind: 'receipt', receipt, ids };
      break;
    }
    case 'group-rejoin': {
      const groupId = o['groupId'];
      const leafKey = o['leafKey'];
      if (isId(groupId) && isId(leafKey)) return { kind: 'group-rejoin', groupId, leafKey };
      break;
    }
    case 'account-key': {
      const accountKey = o['accountKey'];
      const endorsement = o['endorsement'];
      if (isKeyText(accountKey) && isKeyText(endorsement))
        return { kind: 'account-key', accountKey, endorsement };
      break;
    }
    case 'device-leaving':
      return { kind: 'device-leaving' };
    case 'profile-key': {
      const key = o['key'];
      if (isKeyText(key) && BASE64.test(key)) return { kind: 'profile-key', key };
      break;
    }
    case 'session-renewed':
      return { kind: 'session-renewed' };
    case 'typing': {
      const started = o['started'];
      const at = o['at'];
      if (typeof started === 'boolean' && isTime(at)) return { kind: 'typing', started, at };
      break;
    }
    case 'timer': {
      const seconds = o['seconds'];
      const at = o['at'];
      const to = o['to'];
      if (isTimer(seconds, 0) && isTime(at) && (to === undefined || isId(to)))
        return { kind: 'timer', seconds, at, ...(to === undefined ? {} : { to }) };
      break;
    }
    default:
      return { kind: 'unsupported' };
  }
  throw new ClientError('INVALID_INPUT', 'malformed content');
}
