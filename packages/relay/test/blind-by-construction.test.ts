import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FORBIDDEN = ['@parley/protocol', '@parley/mls', '@parley/client', '@parley/primitives'];

test('the relay depends on no protocol, MLS, client or crypto-primitives package', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<
    string,
    Record<string, string> | undefined
  >;
  const deps = Object.keys({ ...pkg['dependencies'], ...pkg['devDependencies'] });
  for (const name of FORBIDDEN) assert.ok(!deps.some((d) => d.startsWith(name)), name);
  let files = 0;
  for (const entry of readdirSync(join(ROOT, 'src'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    files++;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    for (const name of FORBIDDEN)
      assert.ok(!text.includes(`'${name}`), `${entry.name} imports ${name}`);
  }
  assert.ok(files > 10, 'sources were scanned');
});
