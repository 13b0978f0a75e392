/**
 * PostgreSQL storage (node-postgres): a pool of connections, numbered migrations, group commit
 * by window like the SQLite backend. Pending transactions wait until `maxBatch` are pending or
 * `windowMs` has passed since the first, then run in one PostgreSQL transaction on one pooled
 * client, all at once, with the statements they wait on coalesced (`coalesce.ts`: a window of
 * sends is one duplicate check, one routes read and one counter bump for all, one multi-row
 * INSERT of messages and one of send records, and one COMMIT; a window of acks, even of one
 * transaction, is one range delete for all its devices). A window that cannot run so
 * (another kind of write in it, one client message id twice) is rolled back and run again one
 * callback after another; a callback that throws after writing (or a statement that fails) rolls
 * the batch back, and it runs again with a savepoint per callback, so each commits or fails
 * alone. A deadlock or serialisation failure (two nodes' batches locking counter rows in opposite
 * orders) reruns the batch. Durable and non-durable transactions (deletes of acknowledged
 * messages) wait in separate lanes: up to `PG_SEND_WINDOWS_IN_FLIGHT` windows of durable ones at
 * once on their own connections (a window does not wait for the previous one's COMMIT), one of
 * the others. Beside another window, a device's counter row lock still orders its `seq` by
 * commit; callers are settled after every window in flight that inserted a lower `seq` for one
 * of their devices; a window that meets a client message id another window in flight holds (whose
 * uncommitted send record its duplicate check would not see) is rolled back and handed back to
 * run alone after it. Reads outside transactions go to the pool and see committed data only.
 *
 * Several relay nodes may share one database: every atomic step is a single statement or a row
 * lock (counter rows, `FOR UPDATE SKIP LOCKED` claims, `UPDATE … WHERE epoch = $n`), so
 * transactions run at READ COMMITTED. When the database cannot be reached, `transact` rejects
 * with `StorageUnavailableError` (the relay answers UNAVAILABLE, retryable) and nothing of the
 * batch is committed.
 */
import pg from 'pg';
import { GROUP_COMMIT_MAX_BATCH, GROUP_COMMIT_WINDOW_MS } from '../limits.js';
import { flushDelay, type GroupCommitOptions } from '../storage/group-window.js';
import {
  StorageUnavailableError,
  type Reader,
  type Storage,
  type TransactOptions,
  type Writer,
} from '../storage/types.js';
import { PG_MIGRATIONS } from './migrations.js';
import { PG_TYPES, queryOn, type Query } from './query.js';
import { pgReader } from './reader.js';
import { flushQueued, pgWriter, type TxState } from './writer.js';
import { runConcurrently } from './coalesce.js';

/** Connections per node when not configured. */
export const PG_DEFAULT_POOL_SIZE = 10;
/**
 * Windows of durable transactions in flight at once, each on its own pooled connection: a window
 * does not wait for the previous one's COMMIT (its round trips and fsync) before it starts.
 */
export const PG_SEND_WINDOWS_IN_FLIGHT = 2;
/** How often a batch that hit a deadlock or serialisation failure is run again. */
export const PG_MAX_BATCH_RETRIES = 5;
/** How long a new connection may take before the database counts as unavailable. */
export const PG_CONNECT_TIMEOUT_MS = 5_000;
/** Advisory lock key that serialises migrations between nodes ("parley" in ASCII). */
const MIGRATION_LOCK = 0x7061726c6579;

export interface PgStorageOptions {
  /** `postgres://user@host:port/db`. */
  readonly connectionString: string;
  /** A schema to use (created if missing) instead of `public`: tests, several relays in one db. */
  readonly schema?: string;
  readonly poolSize?: number;
  readonly groupCommit?: Partial<GroupCommitOptions>;
}

interface Pending {
  readonly at: number;
  readonly fn: (writer: Writer) => Promise<unknown>;
  readonly durable: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A batch in flight. */
interface Window {
  /** Its transaction's lowest `seq` per device (`TxState.seqs`; refilled on every attempt). */
  seqs: ReadonlyMap<string, number>;
  /** Send keys it holds (`TxState.claim`). */
  readonly keys: string[];
  /** Runs alone: no other window of the lane starts while it runs. */
  readonly alone: boolean;
  /** Resolves when its callers are settled (or it was handed back to the lane). */
  readonly ended: Promise<void>;
  readonly end: () => void;
}

/** Transactions waiting for their window, and the windows of them in flight. */
interface Lane {
  readonly pending: Pending[];
  /** At most this many windows in flight. */
  readonly limit: number;
  readonly windows: Set<Window>;
  /** Send keys held by the windows in flight. */
  readonly keys: Map<string, Window>;
  /** A window was handed back (a send key another held): the next runs alone. */
  alone: boolean;
  lastBatchEnd: number;
  timer: NodeJS.Timeout | undefined;
}

function newLane(limit: number): Lane {
  return {
    pending: [],
    limit,
    windows: new Set(),
    keys: new Map(),
    alone: false,
    lastBatchEnd: -Infinity,
    timer: undefined,
  };
}

function newWindow(alone: boolean): Window {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  return { seqs: new Map(), keys: [], alone, ended, end };
}

/** Whether `v` inserted a lower `seq` than `w` for some device both inserted for. */
function insertedBefore(v: ReadonlyMap<string, number>, w: ReadonlyMap<string, number>): boolean {
  const [few, many] = v.size <= w.size ? [v, w] : [w, v];
  for (const [k, seq] of few) {
    const other = many.get(k);
    if (other !== undefined && (few === v ? seq < other : other < seq)) return true;
  }
  return false;
}

/** Thrown out of a window that met a send key another window in flight holds. */
class HandBack extends Error {
  override readonly name = 'HandBack';
  constructor() {
    super('window handed back');
  }
}

/** Counters for the bench (statements sent, batches committed). */
export interface PgStats {
  statements: number;
  batches: number;
  /** Batches whose callbacks could not run at once and ran again one after another. */
  fallbacks: number;
  /** Windows handed back to their lane (a send key another window in flight held). */
  handedBack: number;
}

const RETRYABLE = new Set(['40001', '40P01']);
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `error` says the database is unreachable (not a statement's fault). */
function isConnectionError(error: unknown): boolean {
  const code = sqlState(error);
  if (code === undefined) {
    const message = error instanceof Error ? error.message : '';
    return /Connection terminated|timeout exceeded|ECONNREFUSED|not queryable/i.test(message);
  }
  return (
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin shutdown
    code === '57P02' ||
    code === '57P03' || // cannot connect now
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'ETIMEDOUT' ||
    code === 'EPIPE' ||
    code === 'ENOTFOUND'
  );
}

function unavailable(error: unknown): unknown {
  return isConnectionError(error) ? new StorageUnavailableError() : error;
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  const ignore = (): void => undefined; // the failing statement reports it
  client.on('error', ignore);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
    );
    const { rows } = await client.query<{ v: number | null }>(
      'SELECT max(version) AS v FROM schema_migrations',
    );
    const current = rows[0]?.v ?? 0;
    for (const m of PG_MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations VALUES ($1, $2)', [m.version, Date.now()]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', ignore);
    client.release();
  }
}

/** Opens (creating the schema and migrating if needed) the PostgreSQL storage. */
/** The PostgreSQL storage: a `Storage`, its counters, and its queue heads. */
export interface PgStorage extends Storage {
  readonly stats: PgStats;
  /**
   * The device's queue counter: the highest `seq` committed for it (0 for none). Counters have
   * no gaps and `seq` n commits after n - 1 (for the Redis fan-out's hand-over).
   */
  queueHead(accountId: string, deviceId: number): Promise<number>;
}

export async function openPgStorage(options: PgStorageOptions): Promise<PgStorage> {
  const schema = options.schema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error('invalid schema name');
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? PG_DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    types: PG_TYPES,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  try {
    if (schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await migrate(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const epochRow = (
    await pool.query<{ value: string }>("SELECT value FROM meta WHERE key = 'queue_epoch'")
  ).rows[0];
  if (epochRow === undefined) throw new Error('no queue epoch: the database is not migrated');
  const epoch = epochRow.value;
  const stats: PgStats = { statements: 0, batches: 0, fallbacks: 0, handedBack: 0 };
  const poolQuery = queryOn(pool);
  const counted: Query = (text, values) => {
    stats.statements++;
    return poolQuery(text, values);
  };
  const reader: Reader = wrapReader(pgReader(counted, epoch));
  const maxBatch = options.groupCommit?.maxBatch ?? GROUP_COMMIT_MAX_BATCH;
  const windowMs = options.groupCommit?.windowMs ?? GROUP_COMMIT_WINDOW_MS;

  // Two lanes, each with its windows on their own connections: durable transactions (sends, up
  // to `PG_SEND_WINDOWS_IN_FLIGHT` windows at once), and the others (deletes of acknowledged
  // messages, one window at a time), so a window of acks never delays a window of sends. They
  // touch different rows (a delete only reaches committed, acknowledged messages).
  const lanes: Record<'durable' | 'relaxed', Lane> = {
    durable: newLane(PG_SEND_WINDOWS_IN_FLIGHT),
    relaxed: newLane(1),
  };
  let closed = false;
  let idle: (() => void) | undefined;
  const allIdle = (): boolean =>
    Object.values(lanes).every((l) => l.windows.size === 0 && l.pending.length === 0);

  /**
   * Runs the batch's callbacks in one transaction on `client`: outcomes per callback, and the
   * order in which to settle them (each device's `seq` rising).
   */
  const runOnce = async (
    client: pg.PoolClient,
    batch: readonly Pending[],
    progress: { begun: boolean },
    lane: Lane,
    win: Window,
  ): Promise<{ outcomes: Outcome[]; order: readonly number[] | undefined }> => {
    const clientQuery = queryOn(client);
    const q: Query = (text, values) => {
      stats.statements++;
      return clientQuery(text, values);
    };
    const claim = (key: string): boolean => {
      const holder = lane.keys.get(key);
      if (holder === win) return true;
      if (holder !== undefined) return false;
      lane.keys.set(key, win);
      win.keys.push(key);
      return true;
    };
    const tx: TxState = {
      q,
      epoch,
      queued: [],
      sends: [],
      wrote: false,
      statements: 0,
      seqs: new Map(),
      claimed: false,
      ...(win.alone ? {} : { claim }),
    };
    win.seqs = tx.seqs;
    /** A key another window holds: nothing of this one may commit; it runs again later. */
    const handBackIfClaimed = (): void => {
      if (tx.claimed) throw new HandBack();
    };
    const writer = pgWriter(tx);
    const durable = batch.some((item) => item.durable);
    const begin = async (): Promise<void> => {
      stats.statements++;
      await client.query(durable ? 'BEGIN' : 'BEGIN; SET LOCAL synchronous_commit = off');
    };
    const wrote = (): boolean => tx.wrote;
    const plain = async (): Promise<Outcome[] | undefined> => {
      const outcomes: Outcome[] = [];
      for (const item of batch) {
        tx.wrote = false;
        try {
          outcomes.push({ ok: true, value: await item.fn(writer) });
        } catch (error) {
          handBackIfClaimed();
          // A failed statement aborts the PostgreSQL transaction; so does anything after a write.
          if (wrote() || sqlState(error) !== undefined) return undefined;
          outcomes.push({ ok: false, error });
        }
      }
      await flushQueued(tx);
      return outcomes;
    };
    const safe = async (): Promise<Outcome[]> => {
      const outcomes: Outcome[] = [];
      for (const item of batch) {
        await q('SAVEPOINT parley_tx');
        const seqs = new Map(tx.seqs);
        try {
          const value = await item.fn(writer);
          await flushQueued(tx);
          await q('RELEASE SAVEPOINT parley_tx');
          outcomes.push({ ok: true, value });
        } catch (error) {
          if (isConnectionError(error)) throw error;
          handBackIfClaimed();
          tx.queued = [];
          tx.sends = [];
          tx.seqs.clear();
          for (const [k, seq] of seqs) tx.seqs.set(k, seq);
          await q('ROLLBACK TO SAVEPOINT parley_tx');
          await q('RELEASE SAVEPOINT parley_tx');
          outcomes.push({ ok: false, error });
        }
      }
      return outcomes;
    };
    const restart = async (): Promise<void> => {
      stats.statements++;
      await client.query('ROLLBACK');
      tx.queued = [];
      tx.sends = [];
      tx.seqs.clear();
      await begin();
    };
    await begin();
    progress.begun = true;
    let outcomes: Outcome[] | undefined;
    let order: readonly number[] | undefined;
    let serial = true;
    // A lone ack transaction asks every device's delete at once (`AckDeleter`): run
    // concurrently, they are one statement instead of one round trip per device.
    if (batch.length > 1 || !durable) {
      let result;
      try {
        result = await runConcurrently(
          tx,
          batch.map((item) => item.fn),
        );
      } catch (error) {
        if (isConnectionError(error) || RETRYABLE.has(sqlState(error) ?? '')) throw error;
        result = { kind: 'failed' } as const;
      }
      handBackIfClaimed();
      if (result.kind === 'done') {
        await flushQueued(tx);
        outcomes = result.outcomes;
        order = result.order;
        serial = false;
      } else {
        stats.fallbacks++;
        await restart();
        serial = result.kind === 'serial';
      }
    }
    if (outcomes === undefined && serial) {
      try {
        outcomes = await plain();
      } catch (error) {
        if (error instanceof HandBack) throw error;
        if (isConnectionError(error) || RETRYABLE.has(sqlState(error) ?? '')) throw error;
        outcomes = undefined;
      }
    }
    if (outcomes === undefined) {
      stats.statements++;
      await client.query('ROLLBACK');
      tx.queued = [];
      tx.sends = [];
      tx.seqs.clear();
      await begin();
      outcomes = await safe();
    }
    // (A callback that caught `SendClaimedError` and went on must not commit either.)
    handBackIfClaimed();
    stats.statements++;
    await client.query('COMMIT');
    stats.batches++;
    return { outcomes, order };
  };

  /**
   * Runs `batch` as the window `win` and settles its callers. With another window in flight,
   * a device's `seq` may come from either; callers are settled only after every window in flight
   * that inserted a lower `seq` for a device this one inserted for (which committed first), so a
   * connection woken in settle order sees each device's messages in `seq` order.
   */
  const runBatch = async (lane: Lane, win: Window, batch: Pending[]): Promise<void> => {
    let lastError: unknown;
    for (let attempt = 0; attempt <= PG_MAX_BATCH_RETRIES; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        lastError = error;
        break;
      }
      // A connection that drops between two statements of the batch emits 'error' on the
      // checked-out client; without a listener that would crash the process. The next
      // statement fails, and the batch with it.
      let broken: unknown;
      const onError = (error: unknown): void => {
        broken ??= error;
      };
      client.on('error', onError);
      const progress = { begun: false };
      try {
        const { outcomes, order } = await runOnce(client, batch, progress, lane, win);
        releaseKeys(lane, win);
        const first = [...lane.windows].filter(
          (v) => v !== win && insertedBefore(v.seqs, win.seqs),
        );
        if (first.length > 0) await Promise.all(first.map((v) => v.ended));
        for (const i of order ?? batch.keys()) {
          const item = batch[i] as Pending;
          const outcome = outcomes[i];
          if (outcome === undefined) item.reject(new Error('transaction lost'));
          else if (outcome.ok) item.resolve(outcome.value);
          else item.reject(outcome.error);
        }
        return;
      } catch (error) {
        lastError = error;
        await client.query('ROLLBACK').catch((e: unknown) => {
          broken = e;
        });
        if (isConnectionError(error)) broken ??= error;
        if (error instanceof HandBack) {
          releaseKeys(lane, win);
          handBack(lane, batch);
          return;
        }
      } finally {
        client.off('error', onError);
        // A client whose connection failed is discarded, not returned to the pool.
        client.release(broken instanceof Error ? broken : broken === undefined ? undefined : true);
      }
      // A pooled connection that died while idle fails at BEGIN: nothing was sent, so the batch
      // may run on another one.
      const deadAtBegin = !progress.begun && isConnectionError(lastError);
      if (!deadAtBegin && !RETRYABLE.has(sqlState(lastError) ?? '')) break;
    }
    // A COMMIT whose answer was lost may have committed: the callers are told it failed and
    // retry; the client message id makes the retry a no-op for sends (idempotency).
    releaseKeys(lane, win);
    const failure = unavailable(lastError);
    for (const item of batch) item.reject(failure);
  };

  const releaseKeys = (lane: Lane, win: Window): void => {
    for (const k of win.keys) if (lane.keys.get(k) === win) lane.keys.delete(k);
    win.keys.length = 0;
  };

  /** Puts `batch` back at the head of the lane, in arrival order, to run alone next. */
  const handBack = (lane: Lane, batch: readonly Pending[]): void => {
    stats.handedBack++;
    lane.pending.unshift(...batch);
    lane.pending.sort((x, y) => x.at - y.at);
    lane.alone = true;
  };

  const schedule = (lane: Lane): void => {
    const oldest = lane.pending[0];
    if (oldest === undefined) return;
    const inFlight = lane.windows.size;
    // A window handed back waits for the lane to empty, then runs with no other beside it.
    const full =
      inFlight >= lane.limit ||
      (inFlight > 0 && (lane.alone || [...lane.windows].some((w) => w.alone)));
    if (full) return;
    const now = performance.now();
    const delay = flushDelay(
      {
        pending: lane.pending.length,
        oldestAt: oldest.at,
        // A window in flight: the lane is busy, not idle (the next window waits its time).
        lastBatchEnd: inFlight > 0 ? now : lane.lastBatchEnd,
        now,
        closed,
      },
      { maxBatch, windowMs },
    );
    if (delay === 0) {
      if (lane.timer !== undefined) {
        clearTimeout(lane.timer);
        lane.timer = undefined;
      }
      const win = newWindow(lane.alone);
      lane.alone = false;
      lane.windows.add(win);
      const batch = lane.pending.splice(0, maxBatch);
      setImmediate(() => {
        void runBatch(lane, win, batch).then(() => {
          lane.windows.delete(win);
          win.end();
          lane.lastBatchEnd = performance.now();
          if (lane.pending.length > 0) schedule(lane);
          else if (allIdle()) idle?.();
        });
      });
      // Another window may start now beside this one (batches of `maxBatch` under load).
      if (lane.pending.length > 0) schedule(lane);
      return;
    }
    lane.timer ??= setTimeout(() => {
      lane.timer = undefined;
      schedule(lane);
    }, delay);
  };

  return {
    kind: 'pg',
    stats,
    reader,
    queueHead: async (accountId, deviceId) => {
      try {
        const { rows } = await counted<{ seq: number }>(
          'SELECT seq FROM queue_counters WHERE account_id = $1 AND device_id = $2',
          [accountId, deviceId],
        );
        return rows[0]?.seq ?? 0;
      } catch (error) {
        throw unavailable(error);
      }
    },
    transact: <T>(fn: (writer: Writer) => Promise<T>, opts?: TransactOptions): Promise<T> => {
      if (closed) return Promise.reject(new Error('storage closed'));
      const durable = opts?.durable ?? true;
      const lane = durable ? lanes.durable : lanes.relaxed;
      return new Promise<T>((resolve, reject) => {
        const n = lane.pending.push({
          at: performance.now(),
          fn,
          durable,
          resolve: resolve as (value: unknown) => void,
          reject,
        });
        if (n === 1 || n >= maxBatch) schedule(lane);
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (!allIdle()) {
        await new Promise<void>((resolve) => {
          idle = resolve;
          schedule(lanes.durable);
          schedule(lanes.relaxed);
        });
      }
      await pool.end();
    },
  };
}

/** A reader whose failures to reach the database become `StorageUnavailableError`. */
function wrapReader(reader: Reader): Reader {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [kind, methods] of Object.entries(reader)) {
    const wrapped: Record<string, unknown> = {};
    for (const [name, method] of Object.entries(methods as Record<string, unknown>)) {
      const f = method as (...a: unknown[]) => Promise<unknown>;
      wrapped[name] = (...args: unknown[]) =>
        f(...args).catch((error: unknown) => {
          throw unavailable(error);
        });
    }
    out[kind] = wrapped;
  }
  return out as unknown as Reader;
}
