/**
 * The engine's view of the history: every conversation and timeline item, with an FTS5 index
 * (trigram tokenizer, so any substring of three or more characters matches, in any language)
 * for search. It lives in an in-memory SQLite database, rebuilt from the encrypted store when
 * the engine starts and kept current from the store's writes: an index on disk would hold the
 * plaintext the store encrypts. Nothing here is ever sent anywhere.
 */
import type { Database, PreparedStatement, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { extraOf, withExtra } from './item-extra.js';
import { MAX_QUOTE_EXCERPT_CHARS } from './limits.js';
import type {
  ConversationId,
  ConversationSummary,
  ItemState,
  QuoteView,
  TimelineItem,
} from './protocol.js';

const SCHEMA = `
CREATE TABLE convs (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL,
  read_at INTEGER NOT NULL DEFAULT 0, key_changed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE items (
  n INTEGER PRIMARY KEY, conv TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL,
  direction TEXT NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL, at INTEGER NOT NULL,
  state TEXT NOT NULL, error TEXT, extra TEXT, UNIQUE (conv, id));
CREATE INDEX items_by_time ON items (conv, at, id);
CREATE INDEX items_unread ON items (conv, direction, kind, at);
CREATE VIRTUAL TABLE items_fts USING fts5 (text, content = 'items', content_rowid = 'n',
  tokenize = 'trigram');
CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN
  INSERT INTO items_fts (rowid, text) VALUES (new.n, new.text);
END;
CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN
  INSERT INTO items_fts (items_fts, rowid, text) VALUES ('delete', old.n, old.text);
END;
CREATE TRIGGER items_au AFTER UPDATE OF text ON items BEGIN
  INSERT INTO items_fts (items_fts, rowid, text) VALUES ('delete', old.n, old.text);
  INSERT INTO items_fts (rowid, text) VALUES (new.n, new.text);
END;
`;

/** Shortest query the trigram index answers; shorter ones scan. */
const TRIGRAM = 3;

/**
 * An item's row number is its time times this, plus a counter: rows sort by time whatever order
 * they are indexed in (the background index reads the store in no time order), so search can
 * take the newest hits by walking the rows backwards. Room for this many items with one time.
 */
const ROWS_PER_MS = 1024;
/** Times are clamped into the range whose row numbers stay exact doubles (to the year 2248). */
const MAX_ROW_TIME = Math.floor(Number.MAX_SAFE_INTEGER / ROWS_PER_MS) - 1;
/** Row numbers tried for one item before SQLite picks one (each collision moves the counter on). */
const MAX_ROW_TRIES = 8;

type Row = Record<string, unknown>;

function itemOf(r: Row): TimelineItem {
  const error = r['error'];
  const extra = r['extra'];
  return withExtra(typeof extra === 'string' ? extra : undefined, {
    id: String(r['id']),
    conv: String(r['conv']),
    kind: r['kind'] === 'event' ? 'event' : 'message',
    direction: r['direction'] === 'out' ? 'out' : 'in',
    sender: String(r['sender']),
    text: String(r['text']),
    at: Number(r['at']),
    state: String(r['state']) as ItemState,
    ...(typeof error === 'string' && { error }),
  });
}

const ITEM_COLUMNS = 'conv, id, kind, direction, sender, text, at, state, error, extra';
/** What an item indexed again changes (it keeps its row number). */
const UPSERT_SET =
  'text = excluded.text, state = excluded.state, error = excluded.error, sender = excluded.sender, at = excluded.at, extra = excluded.extra';

/** What the conversation list shows of a message: its text, else its tombstone or first file. */
function listText(text: string, extra: unknown): string {
  if (text !== '' || typeof extra !== 'string') return text;
  const shown = withExtra(extra, {
    id: '',
    conv: '',
    kind: 'message',
    direction: 'in',
    sender: '',
    text,
    at: 0,
    state: 'received',
  });
  if (shown.deleted === true) return 'This message was deleted';
  const file = shown.attachments?.[0];
  return file === undefined ? text : `📎 ${file.name}`;
}

export class HistoryIndex {
  readonly #db: Database;
  readonly #upsert: PreparedStatement;
  /** `#upsert` for many items: one JSON array of rows (`putItems`). */
  readonly #bulk: PreparedStatement;
  /** Statements by their text (`#rows`). */
  readonly #statements = new Map<string, PreparedStatement>();
  #counter = 0;

  constructor(sqlite3: Sqlite3Static) {
    this.#db = new sqlite3.oo1.DB(':memory:');
    this.#db.exec(SCHEMA);
    this.#upsert = this.#db.prepare(
      `INSERT INTO items (n, ${ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (conv, id) DO UPDATE SET ${UPSERT_SET}`,
    );
    // `WHERE true` tells SQLite's parser that ON CONFLICT is the upsert, not the join's.
    this.#bulk = this.#db.prepare(
      `INSERT INTO items (n, ${ITEM_COLUMNS})
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
         value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10
       FROM json_each(?) WHERE true
       ON CONFLICT (conv, id) DO UPDATE SET ${UPSERT_SET}`,
    );
  }

  /**
   * Runs one of this file's statements (a fixed set of texts), prepared once: preparing through
   * SQLite WASM's glue at every call cost more than most of these queries.
   */
  #rows(sql: string, bind: (string | number)[] = []): Row[] {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    try {
      if (bind.length > 0) stmt.bind(bind);
      const rows: Row[] = [];
      while (stmt.step()) rows.push(stmt.get({}));
      return rows;
    } finally {
      stmt.reset(true);
    }
  }

  /** Adds a conversation, or changes its title; keeps its read mark. */
  putConversation(id: ConversationId, kind: 'direct' | 'group', title: string): void {
    this.#rows(
      `INSERT INTO convs (id, kind, title) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET title = excluded.title`,
      [id, kind, title],
    );
  }

  hasConversation(id: ConversationId): boolean {
    return this.#rows('SELECT 1 FROM convs WHERE id = ?', [id]).length > 0;
  }

  setReadAt(id: ConversationId, at: number): void {
    this.#rows('UPDATE convs SET read_at = max(read_at, ?) WHERE id = ?', [at, id]);
  }

  setKeyChanged(id: ConversationId, changed: boolean): void {
    this.#rows('UPDATE convs SET key_changed = ? WHERE id = ?', [changed ? 1 : 0, id]);
  }

  /**
   * Adds items or updates them (by conversation and id), all in one transaction. They go in as
   * one statement over a JSON array, in row order: FTS5 writes the rows of a transaction as one
   * segment only while their row numbers ascend (a smaller one flushes what it holds and starts
   * another), and binding every column of every item through SQLite WASM's glue costs more than
   * SQLite's work. If two items meet on one row number, it goes again an item at a time.
   */
  putItems(items: readonly TimelineItem[]): void {
    if (items.length === 0) return;
    // The last write of an item wins, as it would one at a time.
    const latest = new Map(items.map((i) => [`${i.conv}\u0000${i.id}`, i]));
    const numbered = [...latest.values()].map((i) => {
      this.#counter = (this.#counter + 1) % ROWS_PER_MS;
      return { n: this.#rowOf(i.at), i };
    });
    numbered.sort((a, b) => a.n - b.n);
    const rows = numbered.map(({ n, i }) => [
      n,
      i.conv,
      i.id,
      i.kind,
      i.direction,
      i.sender,
      i.text,
      i.at,
      i.state,
      i.error ?? null,
      extraOf(i) ?? null,
    ]);
    this.#db.exec('BEGIN');
    try {
      this.#bulk.bind([JSON.stringify(rows)]).stepReset();
      this.#db.exec('COMMIT');
      return;
    } catch {
      try {
        this.#bulk.reset();
      } catch {
        // reset reports the failed step's error again
      }
      this.#db.exec('ROLLBACK');
    } finally {
      this.#bulk.clearBindings();
    }
    this.#db.exec('BEGIN');
    try {
      for (const i of items) this.#put(i);
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /** A row number for an item of time `at` (the counter moved on by the caller). */
  #rowOf(at: number): number {
    return Math.min(MAX_ROW_TIME, Math.max(0, Math.floor(at))) * ROWS_PER_MS + this.#counter;
  }

  /**
   * Inserts or updates one item; an existing item keeps its row. When the rows of its time are
   * all taken (more than `ROWS_PER_MS` items with one time), SQLite picks the row: the item is
   * kept, and sorts as the newest for search.
   */
  #put(i: TimelineItem): void {
    for (let attempt = 1; ; attempt++) {
      this.#counter = (this.#counter + 1) % ROWS_PER_MS;
      const n = attempt > MAX_ROW_TRIES ? null : this.#rowOf(i.at);
      const values = [i.conv, i.id, i.kind, i.direction, i.sender, i.text, i.at, i.state];
      try {
        this.#upsert.bind([n, ...values, i.error ?? null, extraOf(i) ?? null]).stepReset();
        return;
      } catch (error) {
        // Another item holds that row number (same time, counter come round): try the next.
        try {
          this.#upsert.reset();
        } catch {
          // reset reports the failed step's error again
        }
        if (n === null) throw error;
      } finally {
        this.#upsert.clearBindings();
      }
    }
  }

  /**
   * Removes items (messages that expired) and their search rows (the delete trigger), in one
   * transaction; the conversations that held one.
   */
  removeItems(keys: readonly { readonly conv: ConversationId; readonly id: string }[]): void {
    if (keys.length === 0) return;
    this.#db.exec('BEGIN');
    try {
      for (const k of keys)
        this.#rows('DELETE FROM items WHERE conv = ? AND id = ?', [k.conv, k.id]);
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /** How many messages (not events) of a conversation are indexed. */
  messageCount(conv: ConversationId): number {
    const r = this.#rows("SELECT count(*) AS n FROM items WHERE conv = ? AND kind = 'message'", [
      conv,
    ]);
    return Number(r[0]?.['n'] ?? 0);
  }

  /** How many items are indexed. */
  size(): number {
    return Number(this.#rows('SELECT count(*) AS n FROM items')[0]?.['n'] ?? 0);
  }

  item(conv: ConversationId, id: string): TimelineItem | undefined {
    const r = this.#rows(`SELECT ${ITEM_COLUMNS} FROM items WHERE conv = ? AND id = ?`, [conv, id]);
    return r[0] === undefined ? undefined : itemOf(r[0]);
  }

  /**
   * What a reply to message `id` of `conv` shows of it: its sender and the start of its text
   * (or its first file's name), when it is indexed.
   */
  quote(conv: ConversationId, id: string): QuoteView {
    const m = this.item(conv, id);
    if (m?.kind !== 'message') return { id };
    if (m.deleted === true) return { id, sender: m.sender, deleted: true };
    const text = m.text === '' ? (m.attachments?.[0]?.name ?? '') : m.text;
    const chars = Array.from(text);
    const excerpt =
      chars.length > MAX_QUOTE_EXCERPT_CHARS
        ? `${chars.slice(0, MAX_QUOTE_EXCERPT_CHARS).join('')}…`
        : text;
    return { id, sender: m.sender, excerpt };
  }

  /** The items of `conv` that reply to message `id` (their quotes show it). */
  replies(conv: ConversationId, id: string): TimelineItem[] {
    return this.#rows(
      `SELECT ${ITEM_COLUMNS} FROM items
       WHERE conv = ? AND extra IS NOT NULL AND extra ->> '$.replyTo.id' = ?`,
      [conv, id],
    ).map(itemOf);
  }

  /** Newest message time of a conversation's incoming messages (for marking it read). */
  latestIncoming(conv: ConversationId): number {
    const r = this.#rows(
      "SELECT max(at) AS at FROM items WHERE conv = ? AND direction = 'in' AND kind = 'message'",
      [conv],
    );
    return Number(r[0]?.['at'] ?? 0);
  }

  /** The id of an outgoing message in `conv` with exactly `text`, written at `since` or later. */
  sentSince(conv: ConversationId, text: string, since: number): string | undefined {
    const r = this.#rows(
      `SELECT id FROM items WHERE conv = ? AND direction = 'out' AND kind = 'message'
         AND at >= ? AND text = ? ORDER BY at LIMIT 1`,
      [conv, since, text],
    )[0];
    return r === undefined ? undefined : String(r['id']);
  }

  /** A conversation's title alone (no counts). */
  title(id: ConversationId): string | undefined {
    const r = this.#rows('SELECT title FROM convs WHERE id = ?', [id])[0];
    return r === undefined ? undefined : String(r['title']);
  }

  conversation(id: ConversationId): ConversationSummary | undefined {
    return this.#summaries('WHERE c.id = ?', [id])[0];
  }

  /** Every conversation, the most recent first. */
  conversations(): ConversationSummary[] {
    return this.#summaries('', []);
  }

  #summaries(where: string, bind: string[]): ConversationSummary[] {
    const rows = this.#rows(
      `SELECT c.id, c.kind, c.title, c.key_changed,
         l.text AS last_text, l.extra AS last_extra, l.at AS last_at, l.direction AS last_dir,
         (SELECT count(*) FROM items u WHERE u.conv = c.id AND u.direction = 'in'
            AND u.kind = 'message' AND u.at > c.read_at) AS unread
       FROM convs c
       LEFT JOIN items l ON l.n = (SELECT n FROM items WHERE conv = c.id AND kind = 'message'
                                   ORDER BY at DESC, id DESC LIMIT 1)
       ${where}
       ORDER BY coalesce(l.at, 0) DESC, c.title`,
      bind,
    );
    return rows.map((r) => ({
      id: String(r['id']),
      kind: r['kind'] === 'group' ? 'group' : 'direct',
      title: String(r['title']),
      unread: Number(r['unread']),
      ...(typeof r['last_text'] === 'string' && {
        lastText: listText(r['last_text'], r['last_extra']),
        lastAt: Number(r['last_at']),
        lastFromMe: r['last_dir'] === 'out',
      }),
      ...(r['key_changed'] === 1 && { keyChanged: true }),
    }));
  }

  /** Up to `limit` items before (at, id), oldest first; the newest ones without `before`. */
  timeline(
    conv: ConversationId,
    limit: number,
    before?: { readonly at: number; readonly id: string },
  ): TimelineItem[] {
    const rows =
      before === undefined
        ? this.#rows(
            `SELECT ${ITEM_COLUMNS} FROM items WHERE conv = ? ORDER BY at DESC, id DESC LIMIT ?`,
            [conv, limit],
          )
        : this.#rows(
            `SELECT ${ITEM_COLUMNS} FROM items WHERE conv = ? AND (at < ? OR (at = ? AND id < ?))
             ORDER BY at DESC, id DESC LIMIT ?`,
            [conv, before.at, before.at, before.id, limit],
          );
    return rows.map(itemOf).reverse();
  }

  /**
   * Messages containing `query` (case-insensitive substring): the newest `limit` (rows are
   * numbered by time), newest first. Walking the index backwards stops after `limit` hits
   * instead of sorting every match, which keeps a common word fast over 100,000 messages.
   */
  search(query: string, limit: number): TimelineItem[] {
    const q = query.trim();
    if (q === '') return [];
    const rows =
      Array.from(q).length >= TRIGRAM
        ? this.#rows(
            `SELECT ${ITEM_COLUMNS.split(', ')
              .map((c) => `i.${c}`)
              .join(', ')}
             FROM items_fts f JOIN items i ON i.n = f.rowid
             WHERE items_fts MATCH ? AND i.kind = 'message' ORDER BY f.rowid DESC LIMIT ?`,
            [`"${q.replaceAll('"', '""')}"`, limit],
          )
        : this.#rows(
            `SELECT ${ITEM_COLUMNS} FROM items
             WHERE kind = 'message' AND instr(lower(text), lower(?)) > 0
             ORDER BY n DESC LIMIT ?`,
            [q, limit],
          );
    return rows.map(itemOf).sort((a, b) => b.at - a.at);
  }

  /** Forgets everything (wipe). */
  clear(): void {
    this.#db.exec('DELETE FROM items; DELETE FROM convs;');
  }

  close(): void {
    for (const stmt of this.#statements.values()) stmt.finalize();
    this.#upsert.finalize();
    this.#bulk.finalize();
    this.#db.close();
  }
}
