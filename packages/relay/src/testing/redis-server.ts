/**
 * Test helpers for Redis: the URL of the local server (CI starts it), and a private
 * `redis-server` on a free port that a test may stop and start again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

export function testRedisUrl(): string {
  return process.env['PARLEY_TEST_REDIS_URL'] ?? DEFAULT_TEST_REDIS_URL;
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

export interface PrivateRedis {
  readonly url: string;
  /** Starts (or starts again) the server on the same port; resolves when it accepts commands. */
  start(): Promise<void>;
  /** SIGKILLs the server. */
  kill(): Promise<void>;
}

export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  return {
    url: `redis://127.0.0.1:${String(port)}`,
    start: () =>
      new Promise((resolve, reject) => {
        const c = spawn(
          'redis-server',
          ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
          { stdio: ['ignore', 'pipe', 'ignore'] },
        );
        child = c;
        let out = '';
        c.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('Ready to accept connections')) resolve();
        });
        c.once('error', reject);
        c.once('exit', (code) => {
          reject(new Error(`redis-server exited (${String(code)})`));
        });
      }),
    kill: () =>
      new Promise((resolve) => {
        const c = child;
        child = undefined;
        if (c === undefined || c.exitCode !== null) {
          resolve();
          return;
        }
        c.once('exit', () => {
          resolve();
        });
        c.kill('SIGKILL');
      }),
  };
}
