// Client store rows (`npm run bench -- client-store`): a disappearing-message sweep over an
// encrypted SQLite store of 10,000 messages of which 10 have expired, the sweep before the expiry
// index (every record read and decrypted, kept here as the baseline) against the SDK's; and the
// cost of `secure_delete` on a write-heavy loop (insert one record, delete an older one, one
// transaction each), ON against OFF; and what the index adds to storing a message. Arms
// alternate within each round (which goes first alternates too); medians of the rounds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MessageRecord } from '@parley/client';
import { openSqliteBackend } from '@parley/client/node';
import { records, sweepExpired } from '@parley/client/testing';
import { createNodePrimitives } from '@parley/primitives-node';

type Writer = Parameters<typeof sweepExpired>[0];
const utf8 = new TextDecoder();

/** The sweep as it was before the expiry index: every message read and decrypted. */
function scanSweep(w: Writer, now: number): number {
  let n = 0;
  for (const [key, bytes] of w.list('message')) {
    const m = JSON.parse(utf8.decode(bytes)) as MessageRecord;
    if (m.expiresAt === undefined || m.expiresAt > now) continue;
    w.delete('message', key);
    n++;
  }
  for (const [key, bytes] of w.list('group-message')) {
    const m = JSON.parse(utf8.decode(bytes)) as { expiresAt?: number };
    if (m.expiresAt === undefined || m.expiresAt > now) continue;
    w.delete('group-message', key);
    n++;
  }
  return n;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

const message = (id: string, sentAt: number, expiresAt?: number): MessageRecord => ({
  id,
  peer: 'peer-account',
  direction: 'in',
  text: 'a message of about the length people type, give or take a few words here',
  sentAt,
  status: 'read',
  ...(expiresAt !== undefined && { expiresAt }),
});

function sweepRows(dir: string, rounds: number, stored: number, perRound: number): string[] {
  const primitives = createNodePrimitives();
  const db = openSqliteBackend({
    path: join(dir, 'sweep.db'),
    primitives,
    secret: { keyFile: join(dir, 'key') },
  });
  const T = 1_700_000_000_000;
  db.transact((w) => {
    for (let i = 0; i < stored; i++) records.putMessage(w, message(`m${String(i)}`, T + i));
  });
  db.transact((w) => sweepExpired(w, T)); // builds the index mark once
  let seq = 0;
  const timeSweep = (sweep: (w: Writer, now: number) => number): number => {
    db.transact((w) => {
      for (let i = 0; i < 10; i++)
        records.putMessage(w, message(`x${String(seq++)}`, T + stored, T + stored + 1));
    });
    const start = performance.now();
    const swept = db.transact((w) => sweep(w, T + stored + 2));
    const ms = performance.now() - start;
    if (swept !== 10) throw new Error(`swept ${String(swept)} of 10`);
    return ms;
  };
  const base: number[] = [];
  const indexed: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const b: number[] = [];
    const n: number[] = [];
    for (let i = 0; i < perRound; i++) {
      b.push(timeSweep(scanSweep));
      n.push(timeSweep((w, now) => sweepExpired(w, now).messages));
    }
    base.push(median(b));
    indexed.push(median(n));
  }
  db.close();
  const mb = median(base);
  const mn = median(indexed);
  return [
    `sweep, ${String(stored)} stored, 10 expired | full scan (before) | ${mb.toFixed(2)} ms | 1.00`,
    `sweep, ${String(stored)} stored, 10 expired | expiry index | ${mn.toFixed(3)} ms | ${(mb / mn).toFixed(0)}× faster`,
  ];
}

/**
 * The index's cost on the write path: storing a message (one transaction each) with an expiry
 * (the message, its index entry, the `next` mark read) against without one (the message alone,
 * as every write was before the index).
 */
function writeRows(dir: string, rounds: number, opsPerRound: number): string[] {
  const db = openSqliteBackend({
    path: join(dir, 'write.db'),
    primitives: createNodePrimitives(),
    secret: { keyFile: join(dir, 'key') },
  });
  const T = 1_700_000_000_000;
  let seq = 0;
  /** A new message each time, or (`rewrite`) one of 100 already stored, as a status change. */
  const measure = (expiring: boolean, rewrite = false): { rate: number; cpuUs: number } => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < opsPerRound; i++) {
      const n = rewrite ? i % 100 : seq++;
      const id = `${rewrite ? (expiring ? 'rx' : 'rp') : 'w'}${String(n)}`;
      db.transact((w) => {
        records.putMessage(w, message(id, T + n, expiring ? T + 1e9 + n : undefined));
      });
    }
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    return { rate: (opsPerRound * 1000) / ms, cpuUs: (used.user + used.system) / opsPerRound };
  };
  for (let n = 0; n < 100; n++) {
    db.transact((w) => {
      records.putMessage(w, message(`rp${String(n)}`, T + n));
      records.putMessage(w, message(`rx${String(n)}`, T + n, T + 1e9 + n));
    });
  }
  type Run = { rate: number; cpuUs: number };
  const arms: [string, string, () => Run, Run[]][] = [
    ['store a new message', 'no expiry (as before)', () => measure(false), []],
    ['store a new message', 'with expiry (+ index)', () => measure(true), []],
    ['rewrite a stored message', 'no expiry (as before)', () => measure(false, true), []],
    ['rewrite a stored message', 'with expiry (+ index)', () => measure(true, true), []],
  ];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? arms : [...arms].reverse();
    for (const [, , run, runs] of order) runs.push(run());
  }
  db.close();
  return arms.map(([group, label, , runs], i) =>
    armRow(group, label, runs, arms[i - (i % 2)]?.[3] ?? runs),
  );
}

function armRow(
  group: string,
  label: string,
  runs: readonly { rate: number; cpuUs: number }[],
  base: readonly { rate: number; cpuUs: number }[],
): string {
  const rate = median(runs.map((x) => x.rate));
  const cpu = median(runs.map((x) => x.cpuUs));
  const ratio = rate / median(base.map((x) => x.rate));
  const cpuRatio = cpu / median(base.map((x) => x.cpuUs));
  return `${group} | ${label} | ${rate.toFixed(0)} ops/s, ${cpu.toFixed(0)} µs CPU/op | ${ratio.toFixed(2)} (CPU ×${cpuRatio.toFixed(2)})`;
}

/** insert + delete per transaction, as the client store does (`kv` table, WAL, FULL sync). */
function secureDeleteRows(dir: string, rounds: number, opsPerRound: number): string[] {
  const open = (name: string, secure: boolean): Database.Database => {
    const db = new Database(join(dir, name));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`secure_delete = ${secure ? 'ON' : 'OFF'}`);
    db.exec(`CREATE TABLE kv (ns TEXT NOT NULL, hkey BLOB NOT NULL, value BLOB NOT NULL,
             PRIMARY KEY (ns, hkey)) WITHOUT ROWID`);
    return db;
  };
  const primitives = createNodePrimitives();
  const arm = (db: Database.Database) => {
    const put = db.prepare('INSERT OR REPLACE INTO kv (ns, hkey, value) VALUES (?, ?, ?)');
    const del = db.prepare('DELETE FROM kv WHERE ns = ? AND hkey = ?');
    const keys: Uint8Array[] = [];
    for (let i = 0; i < 2_000; i++) {
      const k = primitives.randomBytes(32);
      keys.push(k);
      put.run('message', k, primitives.randomBytes(400));
    }
    return (): void => {
      const k = primitives.randomBytes(32);
      const old = keys.shift() ?? k;
      db.transaction(() => {
        put.run('message', k, primitives.randomBytes(400));
        del.run('message', old);
      }).immediate();
      keys.push(k);
    };
  };
  const off = open('off.db', false);
  const on = open('on.db', true);
  const runOff = arm(off);
  const runOn = arm(on);
  /** Wall-clock ops/s and CPU µs per op (the fsync dominates the first, not the second). */
  const measure = (run: () => void): { rate: number; cpuUs: number } => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < opsPerRound; i++) run();
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    return { rate: (opsPerRound * 1000) / ms, cpuUs: (used.user + used.system) / opsPerRound };
  };
  const offRuns: { rate: number; cpuUs: number }[] = [];
  const onRuns: { rate: number; cpuUs: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    // Which arm goes first alternates from round to round.
    if (r % 2 === 0) {
      offRuns.push(measure(runOff));
      onRuns.push(measure(runOn));
    } else {
      onRuns.push(measure(runOn));
      offRuns.push(measure(runOff));
    }
  }
  off.close();
  on.close();
  const group = 'insert+delete per transaction';
  return [
    armRow(group, 'secure_delete OFF', offRuns, offRuns),
    armRow(group, 'secure_delete ON', onRuns, offRuns),
  ];
}

/** Prints the rows (or, with `json`, a JSON array of them). */
export function clientStoreReport(options: { quick: boolean; json: boolean }): void {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-client-store-'));
  try {
    const rounds = options.quick ? 1 : 7;
    const rows = [
      ...sweepRows(dir, rounds, options.quick ? 1_000 : 10_000, options.quick ? 1 : 3),
      ...writeRows(dir, rounds, options.quick ? 20 : 300),
      ...secureDeleteRows(dir, rounds, options.quick ? 20 : 300),
    ];
    if (options.json) console.log(JSON.stringify(rows));
    else {
      console.log('client store | subject | median | ratio');
      for (const r of rows) console.log(r);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
