/** Starts the real log and auditor processes (from sources) on 127.0.0.1, and stops them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeEntry } from '../../server/test/node-entry.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const START_TIMEOUT_MS = 30_000;

export interface Proc {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
  /** Resolves with the first match of `pattern` in the output. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
}

export function start(entry: 'log-main.ts' | 'auditor-main.ts', args: readonly string[]): Proc {
  const main = fileURLToPath(new URL(`../src/${entry}`, import.meta.url));
  const child = spawn(process.execPath, [...nodeEntry(main), ...args], {
    cwd: ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners: (() => void)[] = [];
  const onData = (d: Buffer): void => {
    out += d.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${String(pattern)}:\n${out}`)),
          START_TIMEOUT_MS,
        );
        const check = (): void => {
          const m = pattern.exec(out);
          if (m !== null) {
            clearTimeout(timer);
            resolve(m);
          }
        };
        listeners.push(check);
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`process exited:\n${out}`));
        });
        check();
      });
    },
  };
}

export async function stop(p: Proc): Promise<number | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  return p.exited;
}

/** POSTs a TLS-encoded request and returns the status and body. */
export async function post(
  base: string,
  path: string,
  body: Uint8Array,
): Promise<{ status: number; body: Uint8Array }> {
  const r = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.from(body),
  });
  return { status: r.status, body: new Uint8Array(await r.arrayBuffer()) };
}
