/**
 * What a timeline item carries besides its text (a reply's quote, reactions, the edit history,
 * the delete mark, files), and how the history index keeps it: one JSON column per item, read
 * back as written. The index searches only the text, so an edited message is found by its
 * current text alone and a deleted one (whose text is empty) not at all.
 */
import type { TimelineItem } from './protocol.js';

/** The item fields kept in the index's `extra` column. */
const EXTRA_FIELDS = ['replyTo', 'reactions', 'edits', 'deleted', 'attachments'] as const;
type ExtraField = (typeof EXTRA_FIELDS)[number];
type Extra = Partial<Pick<TimelineItem, ExtraField>>;

/** The item's extra fields as JSON, or undefined when it has none. */
export function extraOf(item: TimelineItem): string | undefined {
  const extra: Record<string, unknown> = {};
  let any = false;
  for (const f of EXTRA_FIELDS)
    if (item[f] !== undefined) {
      extra[f] = item[f];
      any = true;
    }
  return any ? JSON.stringify(extra) : undefined;
}

/** `base` with the extra fields of `json` (as `extraOf` wrote it; anything else is ignored). */
export function withExtra(json: string | undefined, base: TimelineItem): TimelineItem {
  if (json === undefined) return base;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return base;
  }
  if (typeof parsed !== 'object' || parsed === null) return base;
  const extra: Extra = {};
  for (const f of EXTRA_FIELDS) {
    const v = (parsed as Record<string, unknown>)[f];
    if (v !== undefined) Object.assign(extra, { [f]: v });
  }
  return { ...base, ...extra };
}
