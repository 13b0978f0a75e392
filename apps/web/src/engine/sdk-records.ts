/**
 * The SDK's stored records the engine mirrors, read from the store's namespaces. The SDK
 * writes them as versioned JSON (`rv: 1`) with the shapes it exports (`MessageRecord`,
 * `ContactRecord`, `GroupMessageRecord`); this is the one file that knows their namespace
 * names. A record of another version, or one that does not parse, is skipped, not guessed at.
 */
import { utf8Decode } from '@parley/bytes';
import type { ContactRecord, GroupMessageRecord, GroupStatus, MessageRecord } from '@parley/client';

/** The SDK namespaces the engine watches. */
export const SDK_NS = {
  message: 'message',
  contact: 'contact',
  group: 'group',
  groupMessage: 'group-message',
} as const;

/**
 * The SDK's profile namespace (`PROFILE_NS` in its `profiles.ts`): a contact's profile key is
 * written under `peer:<accountId>` when it arrives, which is when their profile can be read.
 */
export const SDK_PROFILE_NS = 'profile';
const PEER_KEY_PREFIX = 'peer:';

/** Whether a change is outside the profile namespace (which only `profileKeysWritten` reads). */
export const notProfile = (c: { readonly ns: string }): boolean => c.ns !== SDK_PROFILE_NS;

/** The account ids whose profile keys `changes` wrote. */
export function profileKeysWritten(
  changes: readonly { ns: string; key: string; value: Uint8Array | undefined }[],
): string[] {
  return changes.flatMap((c) =>
    c.ns === SDK_PROFILE_NS && c.key.startsWith(PEER_KEY_PREFIX) && c.value !== undefined
      ? [c.key.slice(PEER_KEY_PREFIX.length)]
      : [],
  );
}

const RECORD_VERSION = 1;

/** What the engine needs of a stored group record (its name and whether we are in it). */
export interface GroupInfo {
  readonly groupId: string;
  readonly name: string;
  readonly status: GroupStatus;
}

function parse(bytes: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (bytes === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(utf8Decode(bytes));
    if (typeof v !== 'object' || v === null) return undefined;
    const r = v as Record<string, unknown>;
    return r['rv'] === RECORD_VERSION ? r : undefined;
  } catch {
    return undefined;
  }
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function messageRecord(bytes: Uint8Array | undefined): MessageRecord | undefined {
  return messageObject(parse(bytes));
}

/** A parsed message record (as JSON.parse gave it), checked. */
export function messageObject(r: Record<string, unknown> | undefined): MessageRecord | undefined {
  if (
    r?.['rv'] !== RECORD_VERSION ||
    !isString(r['id']) ||
    !isString(r['peer']) ||
    !isString(r['text']) ||
    !isNumber(r['sentAt']) ||
    (r['direction'] !== 'in' && r['direction'] !== 'out') ||
    !isString(r['status'])
  )
    return undefined;
  return r as unknown as MessageRecord;
}

export function groupMessageRecord(bytes: Uint8Array | undefined): GroupMessageRecord | undefined {
  return groupMessageObject(parse(bytes));
}

/** A parsed group message record, checked. */
export function groupMessageObject(
  r: Record<string, unknown> | undefined,
): GroupMessageRecord | undefined {
  if (
    r?.['rv'] !== RECORD_VERSION ||
    !isString(r['id']) ||
    !isString(r['groupId']) ||
    !isString(r['fromAccount']) ||
    !isString(r['text']) ||
    !isNumber(r['sentAt']) ||
    (r['direction'] !== 'in' && r['direction'] !== 'out')
  )
    return undefined;
  return r as unknown as GroupMessageRecord;
}

export function contactRecord(bytes: Uint8Array | undefined): ContactRecord | undefined {
  const r = parse(bytes);
  if (r === undefined || !isString(r['username']) || !isString(r['accountId'])) return undefined;
  return r as unknown as ContactRecord;
}

export function groupInfo(bytes: Uint8Array | undefined): GroupInfo | undefined {
  const r = parse(bytes);
  if (r === undefined || !isString(r['groupId']) || !isString(r['name']) || !isString(r['status']))
    return undefined;
  return { groupId: r['groupId'], name: r['name'], status: r['status'] as GroupStatus };
}
