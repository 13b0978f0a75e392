/**
 * The reproducible build (issue 15): two builds from two clean copies of the checkout give the
 * same files byte for byte, so the same root, and it is the root of the build the tests serve.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareManifests, MANIFEST_PATH, parseManifest } from '@parley/web-integrity';
import { buildTwice } from '../build/reproduce.js';
import { ensureWebBuild } from './harness.js';

test('two clean builds give byte-identical files and the same root', async () => {
  const { first, second } = buildTwice();
  assert.deepEqual(compareManifests(first.files, second.files), []);
  assert.equal(first.root, second.root);
  assert.ok(first.files.some((f) => f.path === '/index.html'));
  assert.ok(first.files.some((f) => f.path.endsWith('.wasm')));
  const dist = await ensureWebBuild();
  const local = parseManifest(readFileSync(join(dist, ...MANIFEST_PATH.split('/')), 'utf8'));
  assert.equal(local.root, first.root);
});
