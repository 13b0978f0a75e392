/**
 * `parley web verify` (issue 15) against a real relay serving the build: it passes when the
 * relay serves the local build (or the given root) exactly, and fails, naming the file, when one
 * served file changed, whether or not the relay also rewrote its manifest to match.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MANIFEST_PATH, parseManifest } from '@parley/web-integrity';
import { nodeEntry } from '../../server/test/node-entry.js';
import { writeManifest } from '../build/build-web.js';
import { ensureWebBuild, ROOT, startServer, type Server } from './harness.js';

const CLI = join(ROOT, 'apps/cli/src/main.ts');
let dist: string;
let root: string;
const servers: Server[] = [];

/** Runs the real `parley` command; resolves with its exit code and output. */
function parley(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(process.execPath, [...nodeEntry(CLI), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  return new Promise((resolve) =>
    child.on('exit', (code) => resolve({ code: code ?? -1, out, err })),
  );
}

async function serve(dir: string): Promise<Server> {
  const server = await startServer({ webDir: dir });
  servers.push(server);
  return server;
}

function copyOfBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-verify-'));
  cpSync(dist, dir, { recursive: true });
  return dir;
}

before(async () => {
  dist = await ensureWebBuild();
  root = parseManifest(readFileSync(join(dist, MANIFEST_PATH), 'utf8')).root;
});

after(async () => {
  for (const s of servers) await s.stop();
});

test(
  'web verify passes against a relay serving the local build',
  { timeout: 120_000 },
  async () => {
    const server = await serve(dist);
    const local = await parley(['web', 'verify', server.base, '--dist', dist]);
    assert.equal(local.code, 0, local.err);
    assert.match(local.out, new RegExp(`ok: .* serves root ${root} .*the local build`));
    const given = await parley(['web', 'verify', server.base, '--expect', root]);
    assert.equal(given.code, 0, given.err);
    const other = await parley(['web', 'verify', server.base, '--expect', '0'.repeat(64)]);
    assert.equal(other.code, 1);
    assert.match(other.err, new RegExp(`root ${root} is not the expected 0{64}`));
  },
);

test(
  'web verify fails naming the file when one served file changed',
  { timeout: 120_000 },
  async () => {
    const main = readdirSync(join(dist, 'assets')).find((n) => /^index-.*\.js$/.test(n));
    assert.ok(main !== undefined);
    const changed = (dir: string): void => {
      const file = join(dir, 'assets', main);
      writeFileSync(file, `${readFileSync(file, 'utf8')}\n// one more line`);
    };

    // The file changed, the manifest did not: the served file is not what the manifest says.
    const quiet = copyOfBuild();
    changed(quiet);
    const a = await parley(['web', 'verify', (await serve(quiet)).base, '--dist', dist]);
    assert.equal(a.code, 1);
    assert.match(a.err, new RegExp(`/assets/${main}: differs from the served manifest`));

    // The relay rewrote its manifest too: consistent, but not the local build.
    const rewritten = copyOfBuild();
    changed(rewritten);
    writeManifest(rewritten, '0.1.0');
    const b = await parley(['web', 'verify', (await serve(rewritten)).base, '--dist', dist]);
    assert.equal(b.code, 1);
    assert.match(b.err, new RegExp(`/assets/${main}: differs from the local build`));
    assert.doesNotMatch(b.err, /index\.html/);
  },
);
