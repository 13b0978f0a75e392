/**
 * PostgreSQL storage (node-postgres): a pool of connections, numbered migrations, group commit
 * by window like the SQLite backend. Pending transactions wait until `maxBatch` are pending or
 * `windowMs` has passed since the first, then run in one PostgreSQL transaction on one pooled
 * client, all at once, with the statements they wait on coalesced (`coalesce.ts`: a window of
 * sends is one read of the duplicate checks and routes for all, and one statement bumping the
 * counters and inserting the messages and send records; a window of relay sends alone
 * (`sendPath`) runs without BEGIN and COMMIT, its round committing by itself; acks are deleted
 * by `deleteAcknowledged`, one autocommit statement). A window that cannot run so
 * (another kind of write in it, one client message id twice) is rolled back and run again one
 * callback after another; a callback that throws after writing (or a statement that fails) rolls
 * the batch back, and it runs again with a savepoint per callback, so each commits or fails
 * alone. A deadlock or serialisation failure (two nodes' batches locking counter rows in opposite
 * orders) reruns the batch. Durable and non-durable transactions (deletes of acknowledged
 * messages) wait in separate lanes, one batch each at a time. Reads outside transactions go to
 * the pool and see committed data only.
 *
 * Several relay nodes may share one database: every atomic step is a single statement or a row
 * lock (counter rows, `FOR UPDATE SKIP LOCKED` claims, `UPDATE … WHERE epoch = $n`), so
 * transactions run at READ COMMITTED. When the database cannot be reached, `transact` rejects
 * with `StorageUnavailableError` (the relay answers UNAVAILABLE, retryable) and nothing of the
 * batch is committed.
 */
import pg from 'pg';
import { GROUP_COMMIT_MAX_BATCH, PG_GROUP_COMMIT_WINDOW_MS } from '../limits.js';
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

/**
 * `deleteAcknowledged`: the range deletes of a window of acks (`coalesce.ts`) as one autocommit
 * statement that
 * turns off the sync of its own implicit transaction (`set_config(…, true)` lasts until that
 * transaction ends, after its commit record), as `SET LOCAL` does for a window of acks: no
 * BEGIN and COMMIT round trips, and nothing set on the pooled session (or on a PgBouncer
 * server connection shared with other clients).
 */
const DELETE_ACKNOWLEDGED = `WITH relaxed AS (
    SELECT set_config('synchronous_commit', 'off', true)),
  gone AS (DELETE FROM messages m
    USING unnest($1::text[], $2::int[], $3::bigint[]) AS u(a, d, s)
    WHERE m.recipient_account = u.a AND m.recipient_device = u.d AND m.seq <= u.s
    RETURNING m.recipient_account AS a, m.recipient_device AS d)
  SELECT a, d, count(*) AS n FROM gone, relaxed GROUP BY a, d`;

/** Connections per node when not configured. */
export const PG_DEFAULT_POOL_SIZE = 10;
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
  /** `TransactOptions.sendPath`: coalesced even alone. */
  readonly sendPath: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Transactions waiting for their window, and the one batch of them running. */
interface Lane {
  readonly pending: Pending[];
  running: boolean;
  lastBatchEnd: number;
  timer: NodeJS.Timeout | undefined;
}

function newLane(): Lane {
  return { pending: [], running: false, lastBatchEnd: -Infinity, timer: undefined };
}

/** Counters for the bench (statements sent, batches committed). */
export interface PgStats {
  statements: number;
  batches: number;
  /** Batches whose callbacks could not run at once and ran again one after another. */
  fallbacks: number;
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
  const ackDeletes = new Set<Promise<unknown>>();
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
  const stats: PgStats = { statements: 0, batches: 0, fallbacks: 0 };
  const poolQuery = queryOn(pool);
  const counted: Query = (text, values) => {
    stats.statements++;
    return poolQuery(text, values);
  };
  const reader: Reader = wrapReader(pgReader(counted, epoch));
  const maxBatch = options.groupCommit?.maxBatch ?? GROUP_COMMIT_MAX_BATCH;
  const windowMs = options.groupCommit?.windowMs ?? PG_GROUP_COMMIT_WINDOW_MS;

  // Two lanes, each one batch at a time on its own connection: durable transactions (sends), and
  // the others (deletes of acknowledged messages), so a window of acks never delays a window of
  // sends. They touch different rows (a delete only reaches committed, acknowledged messages).
  const lanes: Record<'durable' | 'relaxed', Lane> = { durable: newLane(), relaxed: newLane() };
  let closed = false;
  let idle: (() => void) | undefined;
  const allIdle = (): boolean =>
    Object.values(lanes).every((l) => !l.running && l.pending.length === 0);

  /**
   * Runs the batch's callbacks in one transaction on `client`: outcomes per callback, and the
   * order in which to settle them (each device's `seq` rising).
   */
  const runOnce = async (
    client: pg.PoolClient,
    batch: readonly Pending[],
    progress: { begun: boolean },
  ): Promise<{ outcomes: Outcome[]; order: readonly number[] | undefined }> => {
    const clientQuery = queryOn(client);
    const q: Query = (text, values) => {
      stats.statements++;
      return clientQuery(text, values);
    };
    const tx: TxState = { q, epoch, queued: [], sends: [], wrote: false, statements: 0 };
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
        try {
          const value = await item.fn(writer);
          await flushQueued(tx);
          await q('RELEASE SAVEPOINT parley_tx');
          outcomes.push({ ok: true, value });
        } catch (error) {
          if (isConnectionError(error)) throw error;
          tx.queued = [];
          tx.sends = [];
          await q('ROLLBACK TO SAVEPOINT parley_tx');
          await q('RELEASE SAVEPOINT parley_tx');
          outcomes.push({ ok: false, error });
        }
      }
      return outcomes;
    };
    // A window of sends alone (`sendPath`) runs without a transaction: its reads see committed
    // data as they would in one (READ COMMITTED), and its writes are one statement (the enqueue
    // round, which inserts the send records too) that commits by itself, durably. If it must run
    // serially after all, it does so in a transaction; what a round committed before that is
    // then found by the duplicate checks (the send records went in with the messages).
    const autocommit = durable && batch.every((item) => item.sendPath);
    let inTx = false;
    const restart = async (): Promise<void> => {
      if (inTx) {
        stats.statements++;
        await client.query('ROLLBACK');
      }
      tx.queued = [];
      tx.sends = [];
      await begin();
      inTx = true;
    };
    if (!autocommit) {
      await begin();
      inTx = true;
      progress.begun = true;
    }
    let outcomes: Outcome[] | undefined;
    let order: readonly number[] | undefined;
    let serial = true;
    // A lone ack transaction asks every device's delete at once (`AckDeleter`), and a lone send
    // its duplicate check with its routes: run concurrently, they are one statement instead of
    // one round trip each. Any other lone transaction runs serially at once (a coalesced run of
    // it would give up and start again).
    if (batch.length > 1 || !durable || (batch[0]?.sendPath ?? false)) {
      let result;
      try {
        result = await runConcurrently(
          tx,
          batch.map((item) => item.fn),
          autocommit ? progress : undefined,
        );
      } catch (error) {
        if (isConnectionError(error) || RETRYABLE.has(sqlState(error) ?? '')) throw error;
        result = { kind: 'failed' } as const;
      }
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
        if (isConnectionError(error) || RETRYABLE.has(sqlState(error) ?? '')) throw error;
        outcomes = undefined;
      }
    }
    if (outcomes === undefined) {
      await restart();
      outcomes = await safe();
    }
    if (inTx) {
      stats.statements++;
      await client.query('COMMIT');
    }
    stats.batches++;
    return { outcomes, order };
  };

  const runBatch = async (lane: Lane): Promise<void> => {
    const batch = lane.pending.splice(0, maxBatch);
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
        const { outcomes, order } = await runOnce(client, batch, progress);
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
    const failure = unavailable(lastError);
    for (const item of batch) item.reject(failure);
  };

  const schedule = (lane: Lane): void => {
    const oldest = lane.pending[0];
    if (lane.running || oldest === undefined) return;
    const delay = flushDelay(
      {
        pending: lane.pending.length,
        oldestAt: oldest.at,
        lastBatchEnd: lane.lastBatchEnd,
        now: performance.now(),
        closed,
      },
      { maxBatch, windowMs },
    );
    if (delay === 0) {
      if (lane.timer !== undefined) {
        clearTimeout(lane.timer);
        lane.timer = undefined;
      }
      lane.running = true;
      setImmediate(() => {
        void runBatch(lane).then(() => {
          lane.running = false;
          lane.lastBatchEnd = performance.now();
          if (lane.pending.length > 0) schedule(lane);
          else if (allIdle()) idle?.();
        });
      });
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
          sendPath: opts?.sendPath ?? false,
          resolve: resolve as (value: unknown) => void,
          reject,
        });
        if (n === 1 || n >= maxBatch) schedule(lane);
      });
    },
    deleteAcknowledged: async (acks) => {
      if (closed) throw new Error('storage closed');
      if (acks.length === 0) return 0;
      stats.statements++;
      const run = poolQuery<{ n: number }>(DELETE_ACKNOWLEDGED, [
        acks.map((f) => f.accountId),
        acks.map((f) => f.deviceId),
        acks.map((f) => f.upTo),
      ]);
      ackDeletes.add(run);
      try {
        const { rows } = await run;
        return rows.reduce((sum, r) => sum + r.n, 0);
      } catch (error) {
        throw unavailable(error);
      } finally {
        ackDeletes.delete(run);
      }
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
      await Promise.allSettled([...ackDeletes]);
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
