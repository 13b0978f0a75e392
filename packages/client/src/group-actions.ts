/**
 * What group content other than text does on arrival, in the transaction that stores the MLS
 * ratchet step: reactions, edits and deletes (`message-actions.ts`: only the author edits or
 * deletes, a tombstone takes nothing more), typing indicators (shown only where they are on, and
 * only while fresh) and the disappearing timer (`disappearing.ts`: the newest setting wins). Our
 * own other devices are group members, so they apply our actions from the same messages.
 */
import type { Content } from './content.js';
import type { GroupEvent } from './group-host.js';
import { groupRecords, type GroupRecord } from './group-records.js';
import { TYPING_MAX_AGE_MS } from './limits.js';
import { actedOn, actionOf } from './message-actions.js';
import { settings } from './settings.js';
import type { StorageWriter } from './storage.js';

export interface GroupContentContext {
  readonly group: GroupRecord;
  /** The sender's account id (as MLS authenticates it). */
  readonly from: string;
  readonly username: (accountId: string) => string;
  readonly now: number;
}

/** The event for one non-text group content (undefined: nothing to show), or why it is refused. */
export function applyGroupContent(
  w: StorageWriter,
  ctx: GroupContentContext,
  content: Content,
): { event?: GroupEvent } | { refused: string } {
  const g = ctx.group;
  const by = ctx.username(ctx.from);
  switch (content.kind) {
    case 'reaction':
    case 'edit':
    case 'delete': {
      const action = actionOf(content);
      if (action === undefined || content.to !== undefined)
        return { refused: 'a group action naming a 1:1 conversation' };
      const m = groupRecords.message(w, g.groupId, content.target);
      if (m === undefined) return { refused: 'an action on a message not in this group' };
      const done = actedOn(m, m.fromAccount, ctx.from, action, ctx.now);
      if ('refused' in done) return done;
      if (done.message !== m) groupRecords.putMessage(w, done.message);
      return {
        event: {
          type: 'group-message-updated',
          groupId: g.groupId,
          group: g.name,
          action: action.kind,
          by,
          message: done.message,
        },
      };
    }
    case 'typing':
      if (!settings.device(w).typingIndicators || ctx.now - content.at > TYPING_MAX_AGE_MS)
        return {};
      return {
        event: {
          type: 'typing',
          from: by,
          started: content.started,
          groupId: g.groupId,
          group: g.name,
        },
      };
    case 'timer':
      if (content.to !== undefined) return { refused: 'a group timer naming a 1:1 conversation' };
      if (
        !settings.putTimer(w, { groupId: g.groupId }, { seconds: content.seconds, at: content.at })
      )
        return {};
      return {
        event: {
          type: 'timer-changed',
          by,
          seconds: content.seconds,
          groupId: g.groupId,
          group: g.name,
        },
      };
    default:
      return { refused: 'group content of a kind this version does not know' };
  }
}
