/**
 * The SQLite backend's queues and send records (migration 4). A message costs one row in
 * `messages` (appended: `seq` is an AUTOINCREMENT rowid, so commit-ordered with one writer) and one
 * entry in the queue index; an acknowledgement is one range delete on that index; expiry walks
 * the table from its oldest row. Guids are `<seq>_<epoch>` (see `guid.ts`), except for messages
 * queued before migration 4, which keep theirs in `legacy_guid`.
 */
import type Database from 'better-sqlite3';
import { formatGuid, parseGuid } from './guid.js';
import type { QueueDepths } from './sqlite-queue-depths.js';
import type {
  MessageReader,
  MessageRecord,
  MessageWriter,
  QueuedMessage,
  SendRecord,
} from './types.js';

type Db = Database.Database;

/** Queue pages up to this many rows use a statement with a literal LIMIT (see `queuePage`). */
const LITERAL_LIMIT_MAX = 4096;

type PageRow = [
  seq: number,
  senderAccount: string,
  senderDevice: number,
  clientMessageId: string,
  type: number,
  content: Uint8Array,
  serverTimestamp: number,
  legacyGuid: string | null,
  expiresAt: number | null,
];

/**
 * `m` as queued, built field by field (a spread of `m`, or of a conditional `expiresAt`, is a
 * generic property copy per message on the send path).
 */
function queuedMessage(m: MessageRecord, seq: number, guid: string): QueuedMessage {
  const e = m.expiresAt;
  return e === undefined
    ? {
        recipientAccountId: m.recipientAccountId,
        recipientDeviceId: m.recipientDeviceId,
        senderAccountId: m.senderAccountId,
        senderDeviceId: m.senderDeviceId,
        clientMessageId: m.clientMessageId,
        type: m.type,
        content: m.content,
        serverTimestamp: m.serverTimestamp,
        seq,
        guid,
      }
    : {
        recipientAccountId: m.recipientAccountId,
        recipientDeviceId: m.recipientDeviceId,
        senderAccountId: m.senderAccountId,
        senderDeviceId: m.senderDeviceId,
        clientMessageId: m.clientMessageId,
        type: m.type,
        content: m.content,
        serverTimestamp: m.serverTimestamp,
        expiresAt: e,
        seq,
        guid,
      };
}

/** This storage's guid epoch, drawn by migration 4. */
export function queueEpoch(db: Db): string {
  const row = db
    .prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'queue_epoch'")
    .get();
  if (row === undefined) throw new Error('no queue epoch: the database is not migrated');
  return row.value;
}

/**
 * The queue page query. A bound `LIMIT ?` costs SQLite about four times the whole indexed read
 * here (measured: 15 µs against 4 µs of CPU), so limits up to `LITERAL_LIMIT_MAX` use one of a
 * few statements with a literal power-of-two LIMIT, and the page is cut to size in JS. Rows come
 * back as arrays (no per-row object with named columns to build), without the recipient columns
 * the caller already knows.
 */
function queuePage(db: Db): (a: string, d: number, after: number, limit: number) => PageRow[] {
  const sql =
    'SELECT seq, sender_account, sender_device, client_message_id, type, content, server_timestamp, legacy_guid, expires_at FROM messages WHERE recipient_account = ? AND recipient_device = ? AND seq > ? ORDER BY seq LIMIT';
  const bound = db.prepare<[string, number, number, number], PageRow>(`${sql} ?`).raw();
  const literal = new Map<number, Database.Statement<[string, number, number], PageRow>>();
  return (a, d, after, limit) => {
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > LITERAL_LIMIT_MAX) {
      return bound.all(a, d, after, limit);
    }
    const bucket = 2 ** Math.ceil(Math.log2(limit));
    let statement = literal.get(bucket);
    if (statement === undefined) {
      statement = db.prepare<[string, number, number], PageRow>(`${sql} ${bucket}`).raw();
      literal.set(bucket, statement);
    }
    const rows = statement.all(a, d, after);
    return rows.length > limit ? rows.slice(0, limit) : rows;
  };
}

export function sqliteMessageReader(db: Db, epoch: string): MessageReader {
  const page = queuePage(db);
  const q = {
    depth: db.prepare<[string, number], { n: number }>(
      'SELECT count(*) AS n FROM messages WHERE recipient_account = ? AND recipient_device = ?',
    ),
    total: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM messages'),
    send: db.prepare<[string, number, string], { server_timestamp: number }>(
      'SELECT server_timestamp FROM sends WHERE sender_account = ? AND sender_device = ? AND client_message_id = ?',
    ),
  };
  return {
    list: (a, d, after, limit) => {
      const rows = page(a, d, after, limit);
      const out: QueuedMessage[] = new Array<QueuedMessage>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as PageRow;
        out[i] = {
          seq: r[0],
          guid: r[7] ?? formatGuid(r[0], epoch),
          recipientAccountId: a,
          recipientDeviceId: d,
          senderAccountId: r[1],
          senderDeviceId: r[2],
          clientMessageId: r[3],
          type: r[4],
          content: r[5],
          serverTimestamp: r[6],
          ...(r[8] === null ? {} : { expiresAt: r[8] }),
        };
      }
      return Promise.resolve(out);
    },
    depth: (a, d) => Promise.resolve(q.depth.get(a, d)?.n ?? 0),
    total: () => Promise.resolve(q.total.get()?.n ?? 0),
    findSend: (a, d, id) => {
      const r = q.send.get(a, d, id);
      return Promise.resolve(
        r === undefined
          ? undefined
          : ({
              senderAccountId: a,
              senderDeviceId: d,
              clientMessageId: id,
              serverTimestamp: r.server_timestamp,
            } satisfies SendRecord),
      );
    },
  };
}

/** The writer's queues; `depths` follows every enqueue and acknowledgement delete. */
export function sqliteMessageWriter(db: Db, epoch: string, depths: QueueDepths): MessageWriter {
  const r = sqliteMessageReader(db, epoch);
  const w = {
    enqueue: db.prepare(
      `INSERT INTO messages (recipient_account, recipient_device, sender_account, sender_device,
         client_message_id, type, content, server_timestamp, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    recordSend: db.prepare('INSERT OR REPLACE INTO sends VALUES (?, ?, ?, ?)'),
    claimSend: db.prepare('INSERT INTO sends VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    sendTimestamp: db
      .prepare<[string, number, string], number>(
        'SELECT server_timestamp FROM sends WHERE sender_account = ? AND sender_device = ? AND client_message_id = ?',
      )
      .pluck(),
    deleteSeq: db.prepare(
      'DELETE FROM messages WHERE recipient_account = ? AND recipient_device = ? AND seq = ? AND legacy_guid IS NULL',
    ),
    deleteLegacy: db.prepare(
      'DELETE FROM messages WHERE recipient_account = ? AND recipient_device = ? AND legacy_guid = ?',
    ),
    deleteUpTo: db.prepare(
      'DELETE FROM messages WHERE recipient_account = ? AND recipient_device = ? AND seq <= ?',
    ),
    // The first message young enough to keep, in commit order; everything before it expires.
    firstYoung: db.prepare<[number], { seq: number }>(
      'SELECT seq FROM messages WHERE server_timestamp >= ? ORDER BY seq LIMIT 1',
    ),
    deleteBefore: db.prepare(
      'DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE seq < ? ORDER BY seq LIMIT ?)',
    ),
    deleteExpired: db.prepare(
      'DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE expires_at <= ? LIMIT ?)',
    ),
    deleteOldSends: db.prepare(
      'DELETE FROM sends WHERE (sender_account, sender_device, client_message_id) IN (SELECT sender_account, sender_device, client_message_id FROM sends WHERE server_timestamp < ? LIMIT ?)',
    ),
  };
  return {
    ...r,
    depth: (a, d) => Promise.resolve(depths.get(a, d)),
    enqueue: (m: MessageRecord) => {
      const info = w.enqueue.run(
        m.recipientAccountId,
        m.recipientDeviceId,
        m.senderAccountId,
        m.senderDeviceId,
        m.clientMessageId,
        m.type,
        m.content,
        m.serverTimestamp,
        m.expiresAt ?? null,
      );
      const seq = Number(info.lastInsertRowid);
      depths.add(m.recipientAccountId, m.recipientDeviceId, 1);
      const queued = queuedMessage(m, seq, formatGuid(seq, epoch));
      return Promise.resolve(queued);
    },
    recordSend: (s) => {
      w.recordSend.run(s.senderAccountId, s.senderDeviceId, s.clientMessageId, s.serverTimestamp);
      return Promise.resolve();
    },
    claimSend: (s) => {
      const a = s.senderAccountId;
      const d = s.senderDeviceId;
      const id = s.clientMessageId;
      if (w.claimSend.run(a, d, id, s.serverTimestamp).changes === 1)
        return Promise.resolve(undefined);
      return Promise.resolve(w.sendTimestamp.get(a, d, id));
    },
    delete: (a, d, guids) => {
      let n = 0;
      for (const g of guids) {
        const seq = parseGuid(g, epoch);
        n +=
          seq === undefined
            ? w.deleteLegacy.run(a, d, g).changes
            : w.deleteSeq.run(a, d, seq).changes;
      }
      depths.add(a, d, -n);
      return Promise.resolve(n);
    },
    deleteUpTo: (a, d, upTo) => {
      const n = w.deleteUpTo.run(a, d, upTo).changes;
      depths.add(a, d, -n);
      return Promise.resolve(n);
    },
    deleteOlderThan: (before, limit) => {
      const young = w.firstYoung.get(before)?.seq ?? Number.MAX_SAFE_INTEGER;
      return Promise.resolve(w.deleteBefore.run(young, limit).changes);
    },
    deleteExpired: (now, limit) => Promise.resolve(w.deleteExpired.run(now, limit).changes),
    deleteSendsOlderThan: (before, limit) =>
      Promise.resolve(w.deleteOldSends.run(before, limit).changes),
  };
}
