/** Real processes for the end-to-end test: the relay (apps/server) and `parley` invocations. */
import { strictEqual } from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodeEntry } from '../../server/test/node-entry.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SERVER = fileURLToPath(new URL('../../server/src/main.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export interface Relay {
  readonly base: string;
  stop(): Promise<void>;
  /** SIGKILL: no shutdown at all (what a crash or an OOM kill does). */
  kill(): Promise<void>;
}

/** One relay for a test file and the users' homes beside its data, in one temporary root. */
export interface CliSuite {
  /** The relay, started before the file's tests and stopped after them. */
  readonly relay: Relay;
  /** The temporary root: `relay-data/` and one home per user name. */
  readonly root: string;
  readonly home: (name: string) => string;
  /** `parley --server RELAY --home HOME(name) ARGS…`. */
  readonly as: (name: string, ...args: string[]) => Promise<Run>;
  /**
   * Links a new device: `parley --json link` in HOME(device), approved by `owner`'s
   * `link approve CODE`; resolves to the new device's finished `link` run (exit code unchecked).
   */
  readonly link: (owner: string, device: string, ...linkArgs: string[]) => Promise<Run>;
}

/** Registers the file's `before` (start the relay on SQLite) and `after` (stop it) hooks. */
export function cliSuite(prefix: string): CliSuite {
  let relay: Relay | undefined;
  let root = '';
  before(async () => {
    root = mkdtempSync(join(tmpdir(), `parley-${prefix}-`));
    relay = await startRelay(join(root, 'relay-data'));
  });
  after(async () => {
    await relay?.stop();
  });
  const suite: CliSuite = {
    get relay(): Relay {
      if (relay === undefined) throw new Error('the relay starts in the before hook');
      return relay;
    },
    get root(): string {
      return root;
    },
    home: (name) => join(root, name),
    as: (name, ...args) => cli(['--server', suite.relay.base, '--home', join(root, name), ...args]),
    link: async (owner, device, ...linkArgs) => {
      const run = spawnCli([
        '--server',
        suite.relay.base,
        '--home',
        join(root, device),
        '--json',
        'link',
        ...linkArgs,
      ]);
      const { code } = JSON.parse(await run.firstLine) as { code: string };
      await ok0(suite.as(owner, 'link', 'approve', code));
      return run.done;
    },
  };
  return suite;
}

/**
 * Starts the relay; with `dataDir`, on SQLite in that directory, else in memory. `extra` flags
 * come last (e.g. `--kt URL` for a log already running).
 */
export async function startRelay(dataDir?: string, extra: readonly string[] = []): Promise<Relay> {
  const storage = dataDir === undefined ? ['--storage', 'memory'] : ['--data-dir', dataDir];
  const child = spawn(
    process.execPath,
    [
      ...nodeEntry(SERVER),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      ...storage,
      '--no-rate-limit',
      // The relay's own key transparency log (a child process), with short entries so that a
      // new account is in the log by the time the next command looks it up.
      '--kt-period',
      '100',
      ...extra,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relay did not start:\n${out}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', () => {
      const m = /listening on (https?:\/\/127\.0\.0\.1:\d+)/.exec(out);
      // The log starts beside the relay; the tests begin once both are up.
      if (m?.[1] !== undefined && out.includes('key transparency log at')) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  return {
    base,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `parley ARGS`; `lines` yields stdout as it comes (for `link`). */
export function spawnCli(
  args: readonly string[],
  env: Record<string, string> = {},
  stdin: 'ignore' | 'pipe' = 'ignore',
): {
  child: ChildProcess;
  done: Promise<Run>;
  firstLine: Promise<string>;
} {
  const child = spawn(process.execPath, [...nodeEntry(CLI), ...args], {
    cwd: ROOT,
    env: { ...process.env, PARLEY_PASSPHRASE: '', ...env },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let gotLine: (l: string) => void = () => undefined;
  const firstLine = new Promise<string>((resolve) => (gotLine = resolve));
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    const nl = stdout.indexOf('\n');
    if (nl >= 0) gotLine(stdout.slice(0, nl));
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const done = new Promise<Run>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done, firstLine };
}

export function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return spawnCli(args, env).done;
}

/** The stdout of a run that must exit 0 (the assertion names the exit code and stderr). */
export async function ok0(run: Promise<Run>): Promise<string> {
  const r = await run;
  strictEqual(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** One JSON object per non-empty line of `--json` output. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Resolves when the child's stdout (from now on) matches. */
export function outputMatches(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString('utf8');
      if (pattern.test(seen)) resolve();
    });
  });
}

const KEYTRANS_LOG = fileURLToPath(new URL('../../keytrans-log/src/', import.meta.url));

/**
 * Starts the key transparency log (`log-main.ts`) or auditor (`auditor-main.ts`) process and
 * resolves with the first match of `ready` in its output once it appears.
 */
export async function startKeyTransProcess(
  entry: 'log-main.ts' | 'auditor-main.ts',
  args: readonly string[],
  ready: RegExp,
): Promise<{ match: RegExpExecArray; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...nodeEntry(KEYTRANS_LOG + entry), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not start:\n${out}`));
    }, START_TIMEOUT_MS);
    const onData = (d: Buffer): void => {
      out += d.toString('utf8');
      const m = ready.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited:\n${out}`));
    });
  });
  return {
    match,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
