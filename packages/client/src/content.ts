/**
 * What a Signal plaintext carries: a versioned structure, UTF-8 JSON with `v: 1`. Text now;
 * receipts and sent-message sync; later kinds (attachments, reactions) add a `kind`. A kind or
 * version this client does not know parses as `unsupported`, so it is shown, not dropped.
 */
import { utf8Decode, utf8Encode } from '@parley/bytes';
import { ClientError } from './errors.js';
import { MAX_CONTENT_BYTES, MAX_TEXT_BYTES } from './limits.js';

export const CONTENT_VERSION = 1;
const MAX_RECEIPT_IDS = 100;
const MAX_ID_LENGTH = 64;

export type Content =
  | { readonly kind: 'text'; readonly id: string; readonly text: string; readonly sentAt: number }
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
    }
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
  | { readonly kind: 'unsupported' };

export function encodeContent(content: Content): Uint8Array {
  if (
    (content.kind === 'text' || content.kind === 'sent') &&
    utf8Encode(content.text).length > MAX_TEXT_BYTES
  )
    throw new ClientError('INVALID_INPUT', `text longer than ${MAX_TEXT_BYTES} bytes`);
  return utf8Encode(JSON.stringify({ v: CONTENT_VERSION, ...content }));
}

const MAX_KEY_TEXT = 128;
function isKeyText(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_KEY_TEXT;
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;
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
      if (isId(id) && typeof text === 'string' && typeof sentAt === 'number')
        return { kind: 'text', id, text, sentAt };
      break;
    case 'sent': {
      const to = o['to'];
      if (isId(id) && isId(to) && typeof text === 'string' && typeof sentAt === 'number')
        return { kind: 'sent', to, id, text, sentAt };
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
    default:
      return { kind: 'unsupported' };
  }
  throw new ClientError('INVALID_INPUT', 'malformed content');
}
