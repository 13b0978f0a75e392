/**
 * What happens to a 1:1 message after it was sent: reactions (one per account, added or
 * removed), edits by its author (the latest text shown, the earlier ones kept in `edits`) and
 * delete for everyone by its author (text, attachments and edit history erased, a tombstone
 * left). Each is content of its own kind naming the target message by id, sent to the contact's
 * devices and, with `to`, to our other devices, so every device applies the same change.
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
  if (m.deleted === true) return { refused: 'an action on a deleted message' };
  const author = m.direction === 'out' ? me : m.peer;
  let next: MessageRecord;
  switch (action.kind) {
    case 'reaction': {
      const current = m.reactions ?? {};
      if (action.remove && current[by] !== action.emoji) return { message: m };
      const reactions = Object.fromEntries(
        Object.entries(current).filter(([account]) => account !== by),
      );
      if (!action.remove) reactions[by] = action.emoji;
      next = { ...m, reactions };
      break;
    }
    case 'edit': {
      if (by !== author) return { refused: 'an edit not by the author' };
      const edits = [...(m.edits ?? []), { text: m.text, replacedAt: at }].slice(-MAX_EDITS_KEPT);
      next = { ...m, text: action.text, edits };
      break;
    }
    case 'delete': {
      if (by !== author) return { refused: 'a delete not by the author' };
      next = {
        id: m.id,
        peer: m.peer,
        direction: m.direction,
        sentAt: m.sentAt,
        status: m.status,
        ...(m.fromDevice === undefined ? {} : { fromDevice: m.fromDevice }),
        text: '',
        deleted: true,
      };
      break;
    }
  }
  records.putMessage(w, next);
  return { message: next };
}

/** Refuses an action this device may not send (checked before anything is queued). */
export function checkOwnAction(m: MessageRecord | undefined, action: MessageAction): MessageRecord {
  if (m === undefined) throw new ClientError('INVALID_INPUT', 'no such message');
  if (m.deleted === true) throw new ClientError('INVALID_INPUT', 'the message was deleted');
  if ((action.kind === 'edit' || action.kind === 'delete') && m.direction !== 'out')
    throw new ClientError('INVALID_INPUT', 'only the author may edit or delete a message');
  return m;
}
