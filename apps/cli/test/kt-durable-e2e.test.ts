/**
 * The relay's key transparency queue survives a crash: a relay whose log is down commits a
 * registration, is killed (SIGKILL) before it could publish it, and a restarted relay on the
 * same data directory publishes it once the log is up, so the new account verifies.
 */
import { match } from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli, ok0, startKeyTransProcess, startRelay, type Run } from './processes.js';

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops.reverse()) await stop();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

test('a registration committed while the log is down reaches the log after the relay is killed and restarted', async () => {
  const root = mkdtempSync(join(tmpdir(), 'parley-kt-durable-'));
  const data = join(root, 'relay');
  const port = await freePort();
  const logUrl = `http://127.0.0.1:${port}`;
  const first = await startRelay(data, ['--kt', logUrl]);
  const as = (base: string, home: string, ...args: string[]): Promise<Run> =>
    cli(['--server', base, '--home', join(root, home), ...args]);
  await ok0(as(first.base, 'dana', 'register', 'durdana'));
  await first.kill();

  const log = await startKeyTransProcess(
    'log-main.ts',
    ['--port', String(port), '--storage', 'memory', '--period', '100'],
    /listening on/,
  );
  stops.push(() => log.stop());
  const second = await startRelay(data, ['--kt', logUrl]);
  stops.push(() => second.stop());
  await ok0(as(second.base, 'eli', 'register', 'durreader'));
  let last: Run | undefined;
  for (let i = 0; i < 30; i++) {
    last = await as(second.base, 'eli', 'verify', 'durdana');
    if (last.code === 0) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  match(await ok0(Promise.resolve(last as Run)), /key transparency: verified/);
});
