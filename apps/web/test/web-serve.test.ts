/**
 * `parley web serve --relay URL` (issue 15): the local build served by the real CLI on one
 * loopback port, the relay on another allowing that origin by configuration; two people on the
 * locally served page register and chat through the remote relay, under a CSP that allows that
 * relay alone.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { nodeEntry } from '../../server/test/node-entry.js';
import { expectMessage, openConversation, register, send, startChat, waitOnline } from './flows.js';
import {
  ensureWebBuild,
  launchBrowser,
  openUser,
  ROOT,
  startServer,
  type Server,
} from './harness.js';

let browser: Browser;
let relay: Server | undefined;
let serve: ChildProcess | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await (browser as Browser | undefined)?.close();
  serve?.kill('SIGTERM');
  await relay?.stop();
});

test(
  'web serve against a relay on another port lets two people chat',
  { timeout: 300_000 },
  async () => {
    const dist = await ensureWebBuild();
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    relay = await startServer({ webDir: dist, args: ['--allow-origin', origin] });
    const child = spawn(
      process.execPath,
      [
        ...nodeEntry(join(ROOT, 'apps/cli/src/main.ts')),
        'web',
        'serve',
        '--relay',
        relay.base,
        '--port',
        String(port),
        '--dist',
        dist,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    serve = child;
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        if (out.includes(`at ${origin} against ${relay?.base ?? ''}`)) resolve();
      });
      child.on('exit', () => reject(new Error(`web serve exited:\n${out}`)));
    });

    const page = await fetch(`${origin}/`);
    const csp = page.headers.get('content-security-policy') ?? '';
    const wsRelay = relay.base.replace('http:', 'ws:');
    assert.match(csp, new RegExp(`connect-src 'self' ${relay.base} ${wsRelay}(;|$)`));

    const amy = await openUser(browser, origin);
    const boris = await openUser(browser, origin);
    assert.equal(new URL(amy.page.url()).origin, origin);
    await register(amy.page, 'amy');
    await register(boris.page, 'boris');
    await waitOnline(amy.page);
    await waitOnline(boris.page);
    await startChat(amy.page, 'boris');
    await send(amy.page, 'Served from my own checkout');
    await openConversation(boris.page, 'amy');
    await expectMessage(boris.page, 'Served from my own checkout');
    await send(boris.page, 'And the relay saw ciphertext only');
    await expectMessage(amy.page, 'And the relay saw ciphertext only');
    await expectMessage(boris.page, 'And the relay saw ciphertext only', 'Read');

    assert.deepEqual(amy.problems.list, []);
    assert.deepEqual(boris.problems.list, []);
  },
);
