/**
 * The newest page of the conversations opened or shown at the top of the list lately, kept in
 * the page so that opening one draws at once; the engine's answer then replaces it. The live
 * events keep each page as the engine's would be (new, edited, deleted and expired items), and
 * a page is dropped rather than kept when it cannot be (a new engine). Items go in and out as
 * copies: the view's store changes its items in place.
 */
import type { ConversationId, TimelineItem } from '../engine/protocol.js';

/** Conversations whose newest page is kept (the least recently used leaves first). */
export const CACHED_CONVERSATIONS = 12;

export function compareItems(a: TimelineItem, b: TimelineItem): number {
  return a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export interface PageCache {
  get(conv: ConversationId): TimelineItem[] | undefined;
  has(conv: ConversationId): boolean;
  /** Keeps the newest `rows` of `items` as the conversation's page (the engine's, or the view's). */
  put(conv: ConversationId, items: readonly TimelineItem[]): void;
  /** Live items: replace the page's copies, and join it if not older than the page. */
  merge(conv: ConversationId, items: readonly TimelineItem[]): void;
  remove(conv: ConversationId, ids: readonly string[]): void;
  clear(): void;
}

/** A cache of `rows` items per conversation, for at most `CACHED_CONVERSATIONS` conversations. */
export function createPageCache(rows: number): PageCache {
  const pages = new Map<ConversationId, readonly TimelineItem[]>();
  const put = (conv: ConversationId, items: readonly TimelineItem[]): void => {
    pages.delete(conv);
    pages.set(conv, structuredClone([...items].sort(compareItems).slice(-rows)));
    for (const old of pages.keys()) {
      if (pages.size <= CACHED_CONVERSATIONS) break;
      pages.delete(old);
    }
  };
  return {
    get(conv) {
      const page = pages.get(conv);
      return page && structuredClone([...page]);
    },
    has: (conv) => pages.has(conv),
    put,
    merge(conv, items) {
      const page = pages.get(conv);
      if (page === undefined) return;
      const oldest = page[0];
      // A page shorter than `rows` is the whole conversation, so anything belongs in it.
      const byId = new Map(page.map((i) => [i.id, i]));
      for (const i of structuredClone(items))
        if (
          byId.has(i.id) ||
          page.length < rows ||
          oldest === undefined ||
          compareItems(i, oldest) > 0
        )
          byId.set(i.id, i);
      pages.set(conv, [...byId.values()].sort(compareItems).slice(-rows));
    },
    remove(conv, ids) {
      const page = pages.get(conv);
      if (page === undefined) return;
      const gone = new Set(ids);
      const left = page.filter((i) => !gone.has(i.id));
      // A full page that lost items no longer reaches back as far as `rows`: dropped, the next
      // open asks the engine (a shorter page would take older items as the conversation's all).
      if (page.length < rows) pages.set(conv, left);
      else if (left.length < page.length) pages.delete(conv);
    },
    clear: () => pages.clear(),
  };
}
