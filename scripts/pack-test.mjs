// Proves the libraries work outside the monorepo: packs bytes, primitives, primitives-noble,
// primitives-node, protocol and client (and the @parley packages they depend on) with `npm pack`,
// checks each tarball has compiled JavaScript, types, README and LICENSE, installs the tarballs
// into an empty temporary project (no workspace links), and runs README.md's "Example: a Signal
// session between two parties" there. Needs the build (`npm run build`, or this script runs
// `tsc -b tsconfig.build.json`) and the npm registry for third-party dependencies.
//
//   node scripts/pack-test.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const WANTED = ['bytes', 'primitives', 'primitives-noble', 'primitives-node', 'protocol', 'client'];
const REQUIRED_FILES = [
  'package/README.md',
  'package/LICENSE',
  'package/dist/index.js',
  'package/dist/index.d.ts',
];
const EXAMPLE_HEADING = '## Example: a Signal session between two parties';
const EXPECTED_OUTPUT = 'hi Bob';

function manifest(dir) {
  return JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
}

/** Package folder names under packages/, by package name. */
const folders = new Map();
for (const dir of execFileSync('ls', [join(root, 'packages')], { encoding: 'utf8' }).split('\n')) {
  if (dir !== '') folders.set(manifest(dir).name, dir);
}

/** WANTED and every @parley package they depend on. */
const closure = new Set();
function add(dir) {
  if (closure.has(dir)) return;
  closure.add(dir);
  for (const dep of Object.keys(manifest(dir).dependencies ?? {})) {
    if (!dep.startsWith('@parley/')) continue;
    const folder = folders.get(dep);
    if (folder === undefined) throw new Error(`${dir} depends on ${dep}, not under packages/`);
    add(folder);
  }
}
WANTED.forEach(add);

const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

console.log(`== build`);
run(join(root, 'node_modules/.bin/tsc'), ['-b', 'tsconfig.build.json'], root);

const work = mkdtempSync(join(tmpdir(), 'parley-pack-'));
try {
  const tarballs = {};
  for (const dir of closure) {
    const out = JSON.parse(
      run('npm', ['pack', '--json', '--pack-destination', work, '-w', `packages/${dir}`], root),
    );
    const file = join(work, out[0].filename);
    const listed = run('tar', ['-tzf', file], work).split('\n');
    for (const required of REQUIRED_FILES)
      if (!listed.includes(required)) throw new Error(`${out[0].filename} lacks ${required}`);
    const license = manifest(dir).license;
    if (license !== (dir === 'relay' ? 'AGPL-3.0-only' : 'Apache-2.0'))
      throw new Error(`${dir}: license ${license}`);
    tarballs[manifest(dir).name] = `file:${file}`;
    console.log(`packed ${out[0].filename} (${listed.length - 1} files)`);
  }

  const project = join(work, 'project');
  execFileSync('mkdir', [project]);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'outside', private: true, type: 'module', dependencies: tarballs }),
  );
  // Scripts off: the example needs no native addon (better-sqlite3 is the client's, for Node).
  console.log(`== npm install in ${project}`);
  run(
    'npm',
    ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock'],
    project,
  );
  for (const name of Object.keys(tarballs)) {
    const installed = realpathSync(join(project, 'node_modules', name));
    if (!installed.startsWith(join(project, 'node_modules')))
      throw new Error(`${name} is a link to ${installed}, not the installed tarball`);
  }

  // Nested deps on "*" must be the tarballs too, not packages of the same name from the registry.
  const nested = run(
    'find',
    ['node_modules', '-path', '*/node_modules/*/node_modules/@parley'],
    project,
  );
  if (nested.trim() !== '') throw new Error(`nested @parley packages installed:\n${nested}`);

  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(EXAMPLE_HEADING));
  const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (readme.indexOf(EXAMPLE_HEADING) < 0 || example === undefined)
    throw new Error('README example not found');
  writeFileSync(join(project, 'example.ts'), `${example}\nimport '@parley/client';\n`);
  // tsx from the repository only strips the types; every import resolves in the project.
  const tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx/esm')).href;
  const output = run(process.execPath, ['--import', tsx, 'example.ts'], project).trim();
  if (output !== EXPECTED_OUTPUT) throw new Error(`example printed ${JSON.stringify(output)}`);
  console.log(`== README example ran outside the monorepo: ${output}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
