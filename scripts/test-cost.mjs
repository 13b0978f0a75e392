// Measures what each test file costs: runs every file alone (as scripts/test.mjs would list them,
// same filters) under GNU time and prints user+sys CPU seconds (the file's process and every
// child it waited for: relays, CLIs, browsers) and wall seconds, most expensive first. CPU, not
// wall time, is what the test run spends on a shared 2-core machine.
//
//   node scripts/test-cost.mjs [path-substring ...] [--jobs=N] [--out=file.tsv] [--built]
//
// --built: as `scripts/test.mjs --built` (the apps' processes from dist/; run `npm run build` first).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, testFiles } from './test-files.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const filters = args.filter((a) => !a.startsWith('--'));
const jobs = Number(option('jobs', '1'));
const out = option('out', undefined);
const env = args.includes('--built') ? { ...process.env, PARLEY_TEST_BUILT: '1' } : process.env;
const files = testFiles(filters);

const scratch = mkdtempSync(join(tmpdir(), 'parley-test-cost-'));
const rows = [];

function measure(file, index) {
  const timeFile = join(scratch, `${index}.time`);
  return new Promise((resolve) => {
    const child = spawn(
      '/usr/bin/time',
      [
        '-o',
        timeFile,
        '-f',
        '%U %S %e',
        process.execPath,
        '--import',
        'tsx',
        '--conditions=parley-source',
        '--test',
        '--test-reporter=dot',
        file,
      ],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      if (code !== 0) console.error(output.slice(-4000));
      const [user, sys, wall] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ');
      const row = { file, cpu: Number(user) + Number(sys), wall: Number(wall), ok: code === 0 };
      rows.push(row);
      console.error(
        `${row.cpu.toFixed(1).padStart(7)} ${row.wall.toFixed(1).padStart(7)} ${row.ok ? '' : 'FAIL '}${file}`,
      );
      resolve();
    });
  });
}

let next = 0;
async function worker() {
  while (next < files.length) {
    const index = next++;
    await measure(files[index], index);
  }
}
await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
rmSync(scratch, { recursive: true, force: true });

rows.sort((a, b) => b.cpu - a.cpu);
const total = rows.reduce((s, r) => s + r.cpu, 0);
const lines = rows.map(
  (r) => `${r.cpu.toFixed(1)}\t${r.wall.toFixed(1)}\t${r.ok ? 'ok' : 'FAIL'}\t${r.file}`,
);
const text = `cpu_s\twall_s\tstatus\tfile\n${lines.join('\n')}\n# total CPU ${total.toFixed(0)} s over ${rows.length} files\n`;
if (out) writeFileSync(out, text);
process.stdout.write(text);
