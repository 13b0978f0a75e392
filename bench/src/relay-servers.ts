// The processes `bench:relay` measures: the Parley relay nodes it starts (one with SQLite, or
// one or two sharing a throwaway PostgreSQL database and, optionally, Redis), their CPU, memory
// and I/O from /proc, and the cost per message on the database and Redis tiers.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createThrowawayDatabase, type ThrowawayDatabase } from '@parley/relay/testing';

const CLOCK_TICKS_PER_SECOND = 100;
/** The local Redis, unless REDIS_URL names another. */
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** How long PostgreSQL may take to count a transaction in pg_stat_database. */
const PG_STATS_DELAY_MS = 1_100;

/** CPU seconds (user + system; system alone) and resident memory of a process, from /proc. */
export function procStat(pid: number): {
  cpuSeconds: number;
  systemCpuSeconds: number;
  rssBytes: number;
} {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const systemTicks = Number(fields[12]);
  const ticks = Number(fields[11]) + systemTicks;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return {
    cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND,
    systemCpuSeconds: systemTicks / CLOCK_TICKS_PER_SECOND,
    rssBytes: rssKb * 1024,
  };
}

/** I/O counters of a process, from /proc (root may read any process's). */
export function procIo(pid: number): { syscalls: number; writtenBytes: number; diskBytes: number } {
  try {
    const io = readFileSync(`/proc/${String(pid)}/io`, 'utf8');
    const field = (name: string): number =>
      Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
    return {
      syscalls: field('syscr') + field('syscw'),
      writtenBytes: field('wchar'),
      diskBytes: field('write_bytes'),
    };
  } catch {
    return { syscalls: NaN, writtenBytes: NaN, diskBytes: NaN };
  }
}

/** The pid of the running process named `name` (its `comm`), if there is one. */
export function findPid(name: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) return Number(entry);
    } catch {
      // the process ended meanwhile
    }
  }
  return undefined;
}

export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/** Sums `f` over processes. */
export function sumOver<T extends Record<string, number>>(
  pids: readonly number[],
  f: (pid: number) => T,
): T {
  const out: Record<string, number> = {};
  for (const pid of pids) for (const [k, v] of Object.entries(f(pid))) out[k] = (out[k] ?? 0) + v;
  return out as T;
}

export interface RelayOptions {
  readonly dist: boolean;
  readonly storage: 'sqlite' | 'pg';
  readonly redis: boolean;
  readonly nodes: number;
  readonly sync: 'FULL' | 'NORMAL';
  readonly groupCommitMax: number | undefined;
  readonly groupCommitWindowMs: number | undefined;
}

/** Counters of the shared tiers (PostgreSQL transactions and rows, Redis commands). */
export interface TierCounters {
  readonly pgTransactions: number;
  readonly pgRowsWritten: number;
  readonly redisCommands: number;
}

export interface RelayNodes {
  readonly pids: readonly number[];
  readonly ports: readonly number[];
  /** The tiers' counters now (zeros for a tier that is not in use). */
  tiers(): Promise<TierCounters>;
  stop(): Promise<void>;
}

/** Starts the relay node(s) and waits until each listens. */
export async function startRelays(o: RelayOptions): Promise<RelayNodes> {
  if (o.nodes > 1 && (o.storage !== 'pg' || !o.redis))
    throw new Error('several nodes need --storage pg and --redis');
  const database = o.storage === 'pg' ? await createThrowawayDatabase() : undefined;
  const redisUrl = o.redis ? (process.env['REDIS_URL'] ?? DEFAULT_REDIS_URL) : undefined;
  const env: Record<string, string> = {};
  if (database !== undefined) env['DATABASE_URL'] = database.url;
  if (redisUrl !== undefined) env['REDIS_URL'] = redisUrl;
  const nodes: { pid: number; port: number; stop: () => Promise<void> }[] = [];
  try {
    // One after another: the first migrates the schema.
    for (let i = 0; i < o.nodes; i++) nodes.push(await startRelay(o, env));
  } catch (error) {
    for (const n of nodes) await n.stop();
    await database?.drop();
    throw error;
  }
  const redis = redisUrl === undefined ? undefined : new Redis(redisUrl, { lazyConnect: true });
  await redis?.connect();
  return {
    pids: nodes.map((n) => n.pid),
    ports: nodes.map((n) => n.port),
    tiers: () => tierCounters(database, redis),
    stop: async () => {
      for (const n of nodes) await n.stop();
      redis?.disconnect();
      await database?.drop();
    },
  };
}

async function tierCounters(
  database: ThrowawayDatabase | undefined,
  redis: Redis | undefined,
): Promise<TierCounters> {
  let pgTransactions = 0;
  let pgRowsWritten = 0;
  if (database !== undefined) {
    // Backends report their statistics to pg_stat_database within a second of a transaction.
    await new Promise((r) => setTimeout(r, PG_STATS_DELAY_MS));
    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ x: string; w: string }>(
        `SELECT xact_commit + xact_rollback AS x, tup_inserted + tup_updated + tup_deleted AS w
         FROM pg_stat_database WHERE datname = current_database()`,
      );
      pgTransactions = Number(rows[0]?.x ?? NaN);
      pgRowsWritten = Number(rows[0]?.w ?? NaN);
    } finally {
      await c.end();
    }
  }
  let redisCommands = 0;
  if (redis !== undefined) {
    const info = await redis.info('commandstats');
    for (const m of info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) redisCommands += Number(m[1]);
  }
  return { pgTransactions, pgRowsWritten, redisCommands };
}

/**
 * Node options of the relay (or skeleton) process: `PARLEY_RELAY_PROFILE=DIR` writes a V8 CPU
 * profile into DIR; `PARLEY_RELAY_NODE_ARGS="--flag …"` adds options.
 */
function relayNodeArgs(): string[] {
  const profileDir = process.env['PARLEY_RELAY_PROFILE'];
  const extra = (process.env['PARLEY_RELAY_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  return [
    ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
    ...extra,
  ];
}

/** The port a child process says it listens on (`listening on http://127.0.0.1:PORT`). */
function listeningPort(
  child: ChildProcessByStdio<null, Readable, null>,
  what: string,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m?.[1] !== undefined) resolve(Number(m[1]));
    });
    child.on('exit', () => {
      reject(new Error(`${what} exited: ${out}`));
    });
  });
}

async function startRelay(
  o: RelayOptions,
  env: Record<string, string>,
): Promise<{ pid: number; port: number; stop: () => Promise<void> }> {
  const ROOT = fileURLToPath(new URL('../../', import.meta.url));
  const MAIN = fileURLToPath(
    new URL(`../../apps/server/${o.dist ? 'dist/main.js' : 'src/main.ts'}`, import.meta.url),
  );
  const dir = mkdtempSync(join(tmpdir(), 'parley-load-'));
  const relay = spawn(
    process.execPath,
    [
      ...relayNodeArgs(),
      ...(o.dist ? [] : ['--import', 'tsx', '--conditions=parley-source']),
      MAIN,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      dir,
      '--no-rate-limit',
      // The relay alone: no key transparency log beside it.
      '--kt',
      'off',
      '--log-level',
      'warn',
      ...(o.storage === 'sqlite' ? ['--sqlite-sync', o.sync] : []),
      ...(o.groupCommitMax === undefined ? [] : ['--group-commit-max', String(o.groupCommitMax)]),
      ...(o.groupCommitWindowMs === undefined
        ? []
        : ['--group-commit-window-ms', String(o.groupCommitWindowMs)]),
    ],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await listeningPort(relay, 'relay');
  return {
    pid: relay.pid ?? 0,
    port,
    stop: async () => {
      relay.kill('SIGTERM');
      await new Promise((r) => relay.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a relay skeleton (`relay-skeleton.ts`) on `ws` or on a plain upgrade. */
export async function startSkeleton(mode: 'ws' | 'net'): Promise<RelayNodes> {
  const ROOT = fileURLToPath(new URL('../../', import.meta.url));
  const SKELETON = fileURLToPath(new URL('./relay-skeleton.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    [...relayNodeArgs(), '--import', 'tsx', '--conditions=parley-source', SKELETON, mode],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await listeningPort(child, 'relay skeleton');
  return {
    pids: [child.pid ?? 0],
    ports: [port],
    tiers: () => tierCounters(undefined, undefined),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
