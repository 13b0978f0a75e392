/**
 * A window's callbacks run at once on the batch's client, and the statements they wait on are
 * coalesced: every duplicate check, routes read, account lookup, counter bump and range delete
 * pending at one moment goes out as one statement (`= ANY($1)` or `unnest` of arrays), so a window
 * of n sends costs a handful of round trips instead of 3n in turn. A round of counter bumps also
 * inserts its messages and the send records buffered so far (`ENQUEUE_ROUND`): a window of
 * relay sends is BEGIN, a duplicate check, a routes read, that statement and COMMIT.
 *
 * Only the methods a send or an acknowledgement uses are coalesced. Any other method (or a send
 * record or duplicate check whose client message id another callback of the window also uses,
 * which a serial run must order) makes the run give up (`'serial'`): the committer rolls back and
 * runs the window one callback after another. A callback that throws after writing gives up the
 * same way (`'failed'`; its counter bumps cannot be undone alone), and the committer runs the
 * window with a savepoint per callback.
 *
 * Counter bumps of one statement are taken in callback order and in (account, device) order
 * (one lock order for every batch on every node). The callbacks' promises must then settle in an
 * order where each device's `seq` rises (a connection handed its messages in publish order must
 * see them in commit order): `order` is that order, or the run gives up when none exists.
 *
 * What a concurrent run sees differently from a serial one: a routes read counts the window's
 * messages enqueued before it, not those of callbacks that enqueue later, so a queue may exceed
 * its bound by up to one window (as it already may by the windows of other nodes).
 */
import { formatGuid } from '../storage/guid.js';
import type {
  AccountRecord,
  DeviceRoute,
  MessageRecord,
  QueuedMessage,
  SendRecord,
  Writer,
} from '../storage/types.js';
import { toAccount, type AccountRow } from '../storage/rows.js';
import { QUEUE_DEPTH, QUEUE_DEPTH_JOINS } from './reader.js';
import type { Row } from './query.js';
import { pgWriter, type TxState } from './writer.js';

/** Thrown into a callback when the window must run serially instead. */
class GiveUp extends Error {
  override readonly name = 'GiveUp';
  constructor() {
    super('window runs serially');
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export type ConcurrentResult =
  | { readonly kind: 'done'; readonly outcomes: Outcome[]; readonly order: number[] }
  | { readonly kind: 'serial' }
  | { readonly kind: 'failed' };

type Kind = 'findSend' | 'routes' | 'account' | 'bump' | 'deleteUpTo';

interface Request {
  readonly kind: Kind;
  readonly index: number;
  readonly a: string;
  readonly d: number;
  /** Client message id (findSend) or `upTo` (deleteUpTo). */
  readonly arg: string | number;
  /** The message a counter bump is for (bump). */
  readonly message?: MessageRecord;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

const SELECT_SENDS = `SELECT sender_account AS a, sender_device AS d, client_message_id AS id,
  server_timestamp FROM sends WHERE (sender_account, sender_device, client_message_id) IN (
  SELECT * FROM unnest($1::text[], $2::int[], $3::text[]))`;

const SELECT_ROUTES = `SELECT d.account_id AS a, d.device_id, d.registration_id, ${QUEUE_DEPTH} AS n
  FROM devices d ${QUEUE_DEPTH_JOINS}
  WHERE d.account_id = ANY($1::text[]) ORDER BY d.account_id, d.device_id`;

/**
 * The duplicate checks and routes reads pending together (a relay send asks both at once), in
 * one statement: rows of kind 0 are found send records, kind 1 the devices with their depths.
 */
const SELECT_SENDS_AND_ROUTES = `SELECT 0 AS k, sender_account AS a, sender_device AS d,
    client_message_id AS id, server_timestamp AS n, 0 AS registration_id
  FROM sends WHERE (sender_account, sender_device, client_message_id) IN (
    SELECT * FROM unnest($1::text[], $2::int[], $3::text[]))
  UNION ALL
  SELECT 1, d.account_id, d.device_id, NULL, ${QUEUE_DEPTH}, d.registration_id
  FROM devices d ${QUEUE_DEPTH_JOINS}
  WHERE d.account_id = ANY($4::text[])
  ORDER BY k, a, d`;

const SELECT_ACCOUNTS = 'SELECT * FROM accounts WHERE account_id = ANY($1::text[])';

/**
 * One statement for a round of enqueues: bumps each device's counter by its share (in (account,
 * device) order), inserts the messages with the `seq`s the bumps made (the k-th of a device's n
 * gets the counter's new value - n + k), and inserts the send records buffered so far.
 */
const ENQUEUE_ROUND = `WITH c AS (INSERT INTO queue_counters AS c
    SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[]) AS u(a, d, n) ORDER BY a, d
    ON CONFLICT (account_id, device_id) DO UPDATE SET seq = c.seq + excluded.seq
    RETURNING account_id AS a, device_id AS d, seq),
  m AS (INSERT INTO messages (recipient_account, recipient_device, seq, sender_account,
      sender_device, client_message_id, type, content, server_timestamp, expires_at)
    SELECT x.a, x.d, c.seq - x.n + x.k, x.sa, x.sd, x.id, x.t, x.content, x.ts, x.e
    FROM unnest($4::text[], $5::int[], $6::int[], $7::int[], $8::text[], $9::int[], $10::text[],
      $11::int[], $12::bytea[], $13::bigint[], $14::bigint[])
      AS x(a, d, k, n, sa, sd, id, t, content, ts, e)
    JOIN c ON c.a = x.a AND c.d = x.d),
  s AS (INSERT INTO sends SELECT * FROM unnest($15::text[], $16::int[], $17::text[], $18::bigint[])
    ON CONFLICT (sender_account, sender_device, client_message_id)
    DO UPDATE SET server_timestamp = excluded.server_timestamp)
  SELECT a, d, seq FROM c`;

const DELETE_UP_TO = `WITH gone AS (DELETE FROM messages m
    USING unnest($1::text[], $2::int[], $3::bigint[]) AS u(a, d, s)
    WHERE m.recipient_account = u.a AND m.recipient_device = u.d AND m.seq <= u.s
    RETURNING m.recipient_account AS a, m.recipient_device AS d)
  SELECT a, d, count(*) AS n FROM gone GROUP BY a, d`;

const key = (a: string, d: number): string => `${a}\u0000${String(d)}`;
const sendKey = (a: string, d: number, id: string): string => `${key(a, d)}\u0000${id}`;

type SendRow = Row & {
  a: string;
  d: number;
  id: string;
  server_timestamp: number;
};

type RouteRow = Row & {
  a: string;
  device_id: number;
  registration_id: number;
  n: number;
};

const sendArgs = (reqs: readonly Request[]): unknown[] => [
  reqs.map((r) => r.a),
  reqs.map((r) => r.d),
  reqs.map((r) => String(r.arg)),
];

const accountsOf = (reqs: readonly Request[]): string[] => [...new Set(reqs.map((r) => r.a))];

function resolveSends(reqs: readonly Request[], rows: readonly SendRow[]): void {
  const found = new Map(rows.map((r) => [sendKey(r.a, r.d, r.id), r.server_timestamp]));
  for (const r of reqs) {
    const t = found.get(sendKey(r.a, r.d, String(r.arg)));
    r.resolve(
      t === undefined
        ? undefined
        : {
            senderAccountId: r.a,
            senderDeviceId: r.d,
            clientMessageId: String(r.arg),
            serverTimestamp: t,
          },
    );
  }
}

function resolveRoutes(reqs: readonly Request[], rows: readonly RouteRow[]): void {
  const by = new Map<string, DeviceRoute[]>();
  for (const r of rows) {
    let list = by.get(r.a);
    if (list === undefined) by.set(r.a, (list = []));
    list.push({ deviceId: r.device_id, registrationId: r.registration_id, queueDepth: r.n });
  }
  for (const r of reqs) r.resolve(by.get(r.a) ?? []);
}

/** Runs `fns` at once in the transaction `tx`, coalescing their statements (see above). */
export async function runConcurrently(
  tx: TxState,
  fns: readonly ((writer: Writer) => Promise<unknown>)[],
  /**
   * Given when there is no transaction (a window of `sendPath` callbacks): `begun` is set before
   * the first write, and anything asked after an enqueue round gives up (the round committed).
   */
  autocommit?: { begun: boolean },
): Promise<ConcurrentResult> {
  const { q, epoch } = tx;
  let pending: Request[] = [];
  let draining = false;
  let gaveUp = false;
  /** Without a transaction: an enqueue round has run (and committed). */
  let committedRound = false;
  /** A SQL error aborted the transaction: nothing of this run can commit. */
  let broken: unknown;
  /** Which callback owns a send key (checked or recorded it). */
  const sendOwners = new Map<string, number>();
  const wrote: boolean[] = fns.map(() => false);
  /** Per device, the (seq, callback) pairs enqueued in this run. */
  const enqueued = new Map<string, [number, number][]>();

  const run = async (kind: Kind, reqs: Request[]): Promise<void> => {
    switch (kind) {
      case 'findSend': {
        const { rows } = await q<SendRow>(SELECT_SENDS, sendArgs(reqs));
        resolveSends(reqs, rows);
        return;
      }
      case 'routes': {
        const { rows } = await q<RouteRow>(SELECT_ROUTES, [accountsOf(reqs)]);
        resolveRoutes(reqs, rows);
        return;
      }
      case 'account': {
        const ids = [...new Set(reqs.map((r) => r.a))];
        const { rows } = await q<AccountRow & Record<string, unknown>>(SELECT_ACCOUNTS, [ids]);
        const by = new Map(rows.map((r) => [r.account_id, toAccount(r)]));
        for (const r of reqs) r.resolve(by.get(r.a));
        return;
      }
      case 'bump': {
        if (autocommit !== undefined) {
          autocommit.begun = true;
          committedRound = true;
        }
        // Each device's share, and each request's place in it (1-based, in callback order).
        const counts = new Map<string, { a: string; d: number; n: number }>();
        const place: number[] = [];
        for (const r of reqs) {
          const k = key(r.a, r.d);
          let c = counts.get(k);
          if (c === undefined) counts.set(k, (c = { a: r.a, d: r.d, n: 0 }));
          place.push(++c.n);
        }
        const list = [...counts.values()];
        const share = reqs.map((r) => (counts.get(key(r.a, r.d)) as { n: number }).n);
        const ms = reqs.map((r) => r.message as MessageRecord);
        const sends = tx.sends;
        tx.sends = [];
        const { rows } = await q<{ a: string; d: number; seq: number }>(ENQUEUE_ROUND, [
          list.map((c) => c.a),
          list.map((c) => c.d),
          list.map((c) => c.n),
          ms.map((m) => m.recipientAccountId),
          ms.map((m) => m.recipientDeviceId),
          place,
          share,
          ms.map((m) => m.senderAccountId),
          ms.map((m) => m.senderDeviceId),
          ms.map((m) => m.clientMessageId),
          ms.map((m) => m.type),
          ms.map((m) => Buffer.from(m.content.buffer, m.content.byteOffset, m.content.byteLength)),
          ms.map((m) => m.serverTimestamp),
          ms.map((m) => m.expiresAt ?? null),
          sends.map((r) => r.senderAccountId),
          sends.map((r) => r.senderDeviceId),
          sends.map((r) => r.clientMessageId),
          sends.map((r) => r.serverTimestamp),
        ]);
        const last = new Map(rows.map((row) => [key(row.a, row.d), row.seq]));
        for (const [i, r] of reqs.entries()) {
          const end = last.get(key(r.a, r.d));
          if (end === undefined) r.reject(new Error('queue counter not returned'));
          else r.resolve(end - (share[i] as number) + (place[i] as number));
        }
        return;
      }
      case 'deleteUpTo': {
        const { rows } = await q<{ a: string; d: number; n: number }>(DELETE_UP_TO, [
          reqs.map((r) => r.a),
          reqs.map((r) => r.d),
          reqs.map((r) => Number(r.arg)),
        ]);
        const by = new Map(rows.map((r) => [key(r.a, r.d), r.n]));
        // Two deletes of one device in one statement: the first is credited with the rows.
        for (const r of reqs) {
          const k = key(r.a, r.d);
          r.resolve(by.get(k) ?? 0);
          by.delete(k);
        }
        return;
      }
    }
  };

  const drain = async (): Promise<void> => {
    while (pending.length > 0) {
      // Counter bumps wait until nothing else is pending, so the window's bumps (one per
      // single-destination send) go out in one statement, locking in one (account, device)
      // order: two nodes' windows then wait for each other instead of deadlocking (which
      // PostgreSQL resolves only after `deadlock_timeout`, a second by default).
      const others = pending.filter((r) => r.kind !== 'bump');
      const batch = others.length > 0 ? others : pending;
      pending = others.length > 0 ? pending.filter((r) => r.kind === 'bump') : [];
      // Kinds in the order they were first asked for; callbacks in index order within a kind.
      const kinds: Kind[] = [];
      for (const r of batch) if (!kinds.includes(r.kind)) kinds.push(r.kind);
      const of = (kind: Kind): Request[] =>
        batch.filter((r) => r.kind === kind).sort((x, y) => x.index - y.index);
      // Duplicate checks and routes reads pending together: one statement for both.
      const both = kinds.includes('findSend') && kinds.includes('routes');
      if (both) {
        const [sends, routes] = [of('findSend'), of('routes')];
        kinds.splice(kinds.indexOf('findSend'), 1);
        kinds.splice(kinds.indexOf('routes'), 1);
        if (broken !== undefined || gaveUp) {
          for (const r of [...sends, ...routes]) r.reject(broken ?? new GiveUp());
        } else {
          try {
            const { rows } = await q<{
              k: number;
              a: string;
              d: number;
              id: string;
              n: number;
              registration_id: number;
            }>(SELECT_SENDS_AND_ROUTES, [...sendArgs(sends), accountsOf(routes)]);
            const found: SendRow[] = [];
            const devices: RouteRow[] = [];
            for (const r of rows) {
              if (r.k === 0) found.push({ a: r.a, d: r.d, id: r.id, server_timestamp: r.n });
              else
                devices.push({
                  a: r.a,
                  device_id: r.d,
                  registration_id: r.registration_id,
                  n: r.n,
                });
            }
            resolveSends(sends, found);
            resolveRoutes(routes, devices);
          } catch (error) {
            broken ??= error;
            for (const r of [...sends, ...routes]) r.reject(error);
          }
        }
      }
      for (const kind of kinds) {
        const reqs = of(kind);
        if (broken !== undefined || gaveUp) {
          for (const r of reqs) r.reject(broken ?? new GiveUp());
          continue;
        }
        try {
          await run(kind, reqs);
        } catch (error) {
          broken ??= error;
          for (const r of reqs) r.reject(error);
        }
      }
      // The callbacks continue in microtasks; what they ask next goes out together.
      await new Promise((resolve) => setImmediate(resolve));
    }
    draining = false;
  };

  const ask = <T>(
    kind: Kind,
    index: number,
    a: string,
    d: number,
    arg: string | number,
    message?: MessageRecord,
  ) =>
    new Promise<T>((resolve, reject) => {
      if (gaveUp || committedRound) {
        reject(giveUpNow());
        return;
      }
      const resolveAny = resolve as (v: unknown) => void;
      pending.push(
        message === undefined
          ? { kind, index, a, d, arg, resolve: resolveAny, reject }
          : { kind, index, a, d, arg, message, resolve: resolveAny, reject },
      );
      if (!draining) {
        draining = true;
        setImmediate(() => void drain());
      }
    });

  /** Whether callback `index` may use the send key (no other callback of the window has). */
  const ownSend = (index: number, k: string): boolean => {
    const owner = sendOwners.get(k);
    if (owner !== undefined && owner !== index) return false;
    sendOwners.set(k, index);
    return true;
  };

  const template = pgWriter(tx) as unknown as Record<string, Record<string, unknown>>;
  const writerFor = (index: number): Writer => {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [kind, methods] of Object.entries(template)) {
      const w: Record<string, unknown> = {};
      for (const name of Object.keys(methods)) w[name] = () => Promise.reject(giveUpNow());
      out[kind] = w;
    }
    const messages = out['messages'] as Record<string, unknown>;
    messages['findSend'] = (a: string, d: number, id: string) => {
      if (gaveUp || !ownSend(index, sendKey(a, d, id))) return Promise.reject(giveUpNow());
      const buffered = tx.sends.find(
        (r) => r.clientMessageId === id && r.senderDeviceId === d && r.senderAccountId === a,
      );
      return buffered === undefined ? ask('findSend', index, a, d, id) : Promise.resolve(buffered);
    };
    messages['recordSend'] = (r: SendRecord) => {
      if (
        gaveUp ||
        committedRound ||
        !ownSend(index, sendKey(r.senderAccountId, r.senderDeviceId, r.clientMessageId))
      )
        return Promise.reject(giveUpNow());
      wrote[index] = true;
      tx.wrote = true;
      const at = tx.sends.findIndex(
        (b) =>
          b.clientMessageId === r.clientMessageId &&
          b.senderDeviceId === r.senderDeviceId &&
          b.senderAccountId === r.senderAccountId,
      );
      if (at >= 0) tx.sends[at] = r;
      else tx.sends.push(r);
      return Promise.resolve();
    };
    messages['enqueue'] = async (m: MessageRecord): Promise<QueuedMessage> => {
      wrote[index] = true;
      tx.wrote = true;
      // The round's statement inserts the message too: it is not buffered in `tx.queued`.
      const seq = await ask<number>('bump', index, m.recipientAccountId, m.recipientDeviceId, 0, m);
      const queued: QueuedMessage = { ...m, seq, guid: formatGuid(seq, epoch) };
      const k = key(m.recipientAccountId, m.recipientDeviceId);
      let list = enqueued.get(k);
      if (list === undefined) enqueued.set(k, (list = []));
      list.push([seq, index]);
      return queued;
    };
    messages['deleteUpTo'] = (a: string, d: number, upTo: number) => {
      // Not a send's: without a transaction it would commit alone.
      if (autocommit !== undefined) return Promise.reject(giveUpNow());
      // A message this window enqueued is never acknowledged in it; a caller that does so
      // anyway runs serially (the serial writer inserts the window's rows first).
      if (enqueued.has(key(a, d))) return Promise.reject(giveUpNow());
      wrote[index] = true;
      tx.wrote = true;
      return ask<number>('deleteUpTo', index, a, d, upTo);
    };
    (out['devices'] as Record<string, unknown>)['routes'] = (a: string) =>
      ask<DeviceRoute[]>('routes', index, a, 0, 0);
    (out['accounts'] as Record<string, unknown>)['byId'] = (a: string) =>
      ask<AccountRecord | undefined>('account', index, a, 0, 0);
    return out as unknown as Writer;
  };
  const giveUpNow = (): GiveUp => {
    gaveUp = true;
    return new GiveUp();
  };

  const settled = await Promise.allSettled(fns.map((fn, i) => fn(writerFor(i))));
  // (Read through a function: the callbacks above changed them while this one awaited.)
  const [failure, serial] = ((): [unknown, boolean] => [broken, gaveUp])();
  if (failure !== undefined)
    throw failure instanceof Error ? failure : new Error('statement failed');
  if (serial) return { kind: 'serial' };
  const outcomes: Outcome[] = [];
  for (const [i, s] of settled.entries()) {
    if (s.status === 'fulfilled') outcomes.push({ ok: true, value: s.value });
    else if (wrote[i]) return { kind: 'failed' };
    else outcomes.push({ ok: false, error: s.reason });
  }
  const order = settleOrder(fns.length, enqueued);
  return order === undefined ? { kind: 'serial' } : { kind: 'done', outcomes, order };
}

/**
 * An order of the callbacks in which every device's `seq` rises (lowest index first among those
 * free to go), or undefined if there is none (two callbacks enqueued to two devices each in
 * opposite orders).
 */
function settleOrder(
  n: number,
  enqueued: ReadonlyMap<string, [number, number][]>,
): number[] | undefined {
  const after: number[][] = Array.from({ length: n }, () => []);
  const before = new Array<number>(n).fill(0);
  let edges = 0;
  for (const list of enqueued.values()) {
    if (list.length < 2) continue;
    const sorted = [...list].sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < sorted.length; i++) {
      const from = (sorted[i - 1] as [number, number])[1];
      const to = (sorted[i] as [number, number])[1];
      if (from === to) continue;
      (after[from] as number[]).push(to);
      before[to] = (before[to] ?? 0) + 1;
      if (from > to) edges++;
    }
  }
  const identity = Array.from({ length: n }, (_, i) => i);
  if (edges === 0) return identity;
  const order: number[] = [];
  const ready = identity.filter((i) => before[i] === 0);
  while (ready.length > 0) {
    ready.sort((x, y) => x - y);
    const i = ready.shift() as number;
    order.push(i);
    for (const j of after[i] as number[]) {
      before[j] = (before[j] ?? 0) - 1;
      if (before[j] === 0) ready.push(j);
    }
  }
  return order.length === n ? order : undefined;
}
