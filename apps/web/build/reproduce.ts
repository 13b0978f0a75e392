/**
 * Builds the web client twice, each time in a fresh copy of this checkout's files (what git
 * tracks plus untracked files it does not ignore: no `dist/`, no caches) at paths of different
 * lengths, and compares the two manifests. Dependencies are shared through symlinks to this
 * checkout's `node_modules` (the lockfile pins them); the workspaces resolve inside each copy.
 * `npm run build:web:twice` exits non-zero, naming the files, when the roots differ.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  compareManifests,
  MANIFEST_PATH,
  parseManifest,
  type WebManifest,
} from '@parley/web-integrity';
import { WEB_DIR } from './build-web.js';

const REPO = join(WEB_DIR, '..', '..');

/** A fresh copy of the checkout's files in a new temporary directory named with `prefix`. */
function cleanCopy(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const list = execFileSync('git', ['ls-files', '-z', '-co', '--exclude-standard'], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const file of list.split('\0')) {
    if (file === '' || !existsSync(join(REPO, file))) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(REPO, file), join(dir, file));
  }
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(join(REPO, 'node_modules'))) {
    if (name === '@parley') {
      // Workspace links are relative (../../packages/x): the same link points into the copy.
      mkdirSync(join(modules, name));
      for (const pkg of readdirSync(join(REPO, 'node_modules', name)))
        symlinkSync(readlinkSync(join(REPO, 'node_modules', name, pkg)), join(modules, name, pkg));
    } else symlinkSync(join(REPO, 'node_modules', name), join(modules, name));
  }
  return dir;
}

function buildIn(dir: string): WebManifest {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=parley-source', join(dir, 'apps/web/build/main.ts')],
    { cwd: dir, encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`build in ${dir} failed:\n${run.stdout}${run.stderr}`);
  return parseManifest(
    readFileSync(join(dir, 'apps/web/dist', ...MANIFEST_PATH.split('/')), 'utf8'),
  );
}

/** Two builds from two clean copies; the copies are removed afterwards. */
export function buildTwice(): { readonly first: WebManifest; readonly second: WebManifest } {
  const dirs = [cleanCopy('parley-web-a-'), cleanCopy('parley-web-second-build-')];
  try {
    const [first, second] = dirs.map(buildIn);
    if (first === undefined || second === undefined) throw new Error('unreachable');
    return { first, second };
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const { first, second } = buildTwice();
  process.stdout.write(`first build  root ${first.root}\nsecond build root ${second.root}\n`);
  const differences = compareManifests(first.files, second.files);
  if (differences.length === 0 && first.root === second.root) {
    process.stdout.write('the two builds are byte-identical\n');
  } else {
    for (const d of differences) process.stdout.write(`differs: ${d.path} (${d.kind})\n`);
    process.exitCode = 1;
  }
}
