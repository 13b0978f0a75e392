/** The `parley` command as a real process (apps/cli from source), for the mixed tests. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { nodeEntry } from '../../server/test/node-entry.js';
import { ROOT } from './harness.js';

const CLI = join(ROOT, 'apps/cli/src/main.ts');

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `parley --server SERVER --home HOME ARGS…` to completion. */
export function parley(server: string, home: string, ...args: string[]): Promise<Run> {
  const child = spawn(
    process.execPath,
    [...nodeEntry(CLI), '--server', server, '--home', home, ...args],
    {
      cwd: ROOT,
      env: { ...process.env, PARLEY_PASSPHRASE: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Runs it and fails unless it exits 0; returns what it printed. */
export async function parleyOk(server: string, home: string, ...args: string[]): Promise<string> {
  const r = await parley(server, home, ...args);
  if (r.code !== 0)
    throw new Error(`parley ${args.join(' ')} exited ${String(r.code)}: ${r.stderr}`);
  return r.stdout;
}

/** Receives until `pattern` appears in what was printed (each call waits up to `seconds`). */
export async function receiveUntil(
  server: string,
  home: string,
  pattern: RegExp,
  attempts = 6,
  seconds = 20,
): Promise<string> {
  let seen = '';
  for (let i = 0; i < attempts; i++) {
    seen += await parleyOk(server, home, 'receive', '--wait', String(seconds));
    if (pattern.test(seen)) return seen;
  }
  throw new Error(`never received ${String(pattern)}; got:\n${seen}`);
}

/** One `parley --json receive` event (the fields the tests read). */
export type CliEvent = Record<string, unknown> & {
  type?: string;
  action?: string;
  message?: Record<string, unknown>;
  attachments?: { name: string; size: number; sha256: string; path: string }[];
};

/**
 * Every event `parley --json receive` prints until one satisfies `wanted` (that one included),
 * over at most `attempts` receives of 20 s.
 */
export async function receiveEvents(
  server: string,
  home: string,
  wanted: (e: CliEvent) => boolean,
  attempts = 6,
): Promise<CliEvent[]> {
  const seen: CliEvent[] = [];
  for (let i = 0; i < attempts; i++) {
    const out = await parleyOk(server, home, '--json', 'receive', '--wait', '20');
    for (const line of out.split('\n'))
      if (line.trim().startsWith('{')) seen.push(JSON.parse(line) as CliEvent);
    if (seen.some(wanted)) return seen;
  }
  throw new Error(`never received the event; got:\n${JSON.stringify(seen, null, 1)}`);
}
