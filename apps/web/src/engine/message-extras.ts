/**
 * A stored message's reply, reactions, edits, delete mark and files as the page shows them,
 * read from the SDK's own record (`MessageRecord`, `GroupMessageRecord`): the SDK applies every
 * reaction, edit and delete to that record, and this only translates it. Account ids become
 * usernames; attachment keys and digests stay in the engine.
 */
import type { GroupMessageRecord, MessageRecord } from '@parley/client';
import type { AttachmentView, ReactionView, TimelineItem } from './protocol.js';

type Extras = Pick<TimelineItem, 'replyTo' | 'reactions' | 'edits' | 'deleted' | 'attachments'>;
const NONE: Extras = Object.freeze({});

/** The extras of `m`; `nameOf` gives an account's username, `me` is our account id. */
export function messageExtras(
  m: MessageRecord | GroupMessageRecord,
  nameOf: (accountId: string) => string | undefined,
  me: string | undefined,
): Extras {
  // A deleted message's record holds nothing else (the SDK erased it).
  if (m.deleted === true) return { deleted: true };
  // Most messages have none of these: no allocation for them (the history index reads them all).
  if (
    m.replyTo === undefined &&
    m.edits === undefined &&
    m.reactions === undefined &&
    m.attachments === undefined
  )
    return NONE;
  const out: { -readonly [K in keyof Extras]: Extras[K] } = {};
  if (m.replyTo !== undefined) out.replyTo = { id: m.replyTo };
  if (m.edits !== undefined && m.edits.length > 0)
    out.edits = m.edits.map((e) => ({ text: e.text, replacedAt: e.replacedAt }));
  const reactions = reactionViews(m.reactions, nameOf, me);
  if (reactions.length > 0) out.reactions = reactions;
  if (m.attachments !== undefined && m.attachments.length > 0)
    out.attachments = m.attachments.map((a, index): AttachmentView => ({
      index,
      name: a.name,
      size: a.size,
      contentType: a.contentType,
      ...(a.thumbnail !== undefined && { thumbnail: a.thumbnail }),
    }));
  return out;
}

/** One entry per emoji, in the order each was first used, with who used it. */
export function reactionViews(
  reactions: Readonly<Record<string, string>> | undefined,
  nameOf: (accountId: string) => string | undefined,
  me: string | undefined,
): ReactionView[] {
  if (reactions === undefined) return [];
  const byEmoji = new Map<string, { by: string[]; mine: boolean }>();
  for (const [account, emoji] of Object.entries(reactions)) {
    const entry = byEmoji.get(emoji) ?? { by: [], mine: false };
    if (account === me) {
      entry.mine = true;
      entry.by.push('you');
    } else entry.by.push(nameOf(account) ?? 'someone');
    byEmoji.set(emoji, entry);
  }
  return [...byEmoji].map(([emoji, e]) => ({ emoji, by: e.by, mine: e.mine }));
}
