/**
 * What happens to a message (1:1 or group) after it was sent: reactions (one per account, added or
 * removed), edits by its author (the latest text shown, the earlier ones kept in `edits`) and
 * delete for everyone by its author (text, attachments and edit history erased, a tombstone
 * left). Each is content of its own kind naming the target message by id, sent to the contact's
 * devices and, with `to`, to our other devices, so every device applies the same change.
 *
 * In groups the same content kinds travel inside MLS (without `to`: every device of every
 * member, ours included, is in the group), applied by `group-actions.ts`.
 *
 * Checks on arrival: the target must be a message of this conversation; only its author may
 * edit or delete it; a deleted message takes no more edits or reactions. Anything else is
 * dropped with a reason and changes nothing.
 */
import type { Content } from './content.js';
import { ClientError } from './errors.js';
import { MAX_EDITS_KEPT } from './limits.js';
import { records, type MessageRecord } from './state.js';
import type { StorageWriter } from './storage.js';

export type MessageAction =
  | { readonly kind: 'reaction'; readonly emoji: string; readonly remove: boolean }
  | { readonly kind: 'edit'; readonly text: string }
  | { readonly kind: 'delete' };

/** The content that carries `action` on `target` (with `to` for our other devices). */
export function actionContent(
  action: MessageAction,
  target: string,
  at: number,
  to?: string,
): Content {
  const extra = to === undefined ? {} : { to };
  switch (action.kind) {
    case 'reaction':
      return { kind: 'reaction', target, emoji: action.emoji, remove: action.remove, ...extra };
    case 'edit':
      return { kind: 'edit', target, text: action.text, editedAt: at, ...extra };
    case 'delete':
      return { kind: 'delete', target, ...extra };
  }
}

/** The action a content carries, if it is one. */
export function actionOf(content: Content): MessageAction | undefined {
  switch (content.kind) {
    case 'reaction':
      return { kind: 'reaction', emoji: content.emoji, remove: content.remove };
    case 'edit':
      return { kind: 'edit', text: content.text };
    case 'delete':
      return { kind: 'delete' };
    default:
      return undefined;
  }
}

/** What an action can change on a message, 1:1 or group. */
export interface Actionable {
  readonly text: string;
  readonly deleted?: boolean;
  readonly reactions?: Readonly<Record<string, string>>;
  readonly edits?: readonly { readonly text: string; readonly replacedAt: number }[];
  readonly attachments?: readonly unknown[];
  readonly replyTo?: string;
}

/**
 * `m` after `action` by `by` (an account id), whose author is `author`; or the reason it is
 * refused. Pure: the caller stores the result.
 */
export function actedOn<T extends Actionable>(
  m: T,
  author: string,
  by: string,
  action: MessageAction,
  at: number,
): { message: T } | { refused: string } {
  if (m.deleted === true) return { refused: 'an action on a deleted message' };
  switch (action.kind) {
    case 'reaction': {
      const current = m.reactions ?? {};
      if (action.remove && current[by] !== action.emoji) return { message: m };
      const reactions = Object.fromEntries(
        Object.entries(current).filter(([account]) => account !== by),
      );
      if (!action.remove) reactions[by] = action.emoji;
      return { message: { ...m, reactions } };
    }
    case 'edit': {
      if (by !== author) return { refused: 'an edit not by the author' };
      const edits = [...(m.edits ?? []), { text: m.text, replacedAt: at }].slice(-MAX_EDITS_KEPT);
      return { message: { ...m, text: action.text, edits } };
    }
    case 'delete': {
      if (by !== author) return { refused: 'a delete not by the author' };
      // Text, files, edit history, reactions and the quote are erased; the tombstone stays.
      const kept: { -readonly [K in keyof T]: T[K] } = { ...m, text: '', deleted: true };
      delete kept.attachments;
      delete kept.edits;
      delete kept.reactions;
      delete kept.replyTo;
      return { message: kept };
    }
  }
}

/**
 * Applies `action` by `by` (an account id) to `target` in the conversation with `peer`, in the
 * caller's transaction; the updated record, or the reason it was refused.
 */
export function applyAction(
  w: StorageWriter,
  me: string,
  peer: string,
  by: string,
  target: string,
  action: MessageAction,
  at: number,
): { message: MessageRecord } | { refused: string } {
  const m = records.message(w, target);
  if (m?.peer !== peer) return { refused: 'an action on a message not in this conversation' };
  const done = actedOn(m, m.direction === 'out' ? me : m.peer, by, action, at);
  if ('message' in done && done.message !== m) records.putMessage(w, done.message);
  return done;
}

/** Refuses an action this device may not send (checked before anything is queued). */
export function checkOwnAction<T extends Actionable & { readonly direction: 'in' | 'out' }>(
  m: T | undefined,
  action: MessageAction,
): T {
  if (m === undefined) throw new ClientError('INVALID_INPUT', 'no such message');
  if (m.deleted === true) throw new ClientError('INVALID_INPUT', 'the message was deleted');
  if ((action.kind === 'edit' || action.kind === 'delete') && m.direction !== 'out')
    throw new ClientError('INVALID_INPUT', 'only the author may edit or delete a message');
  return m;
}
