/**
 * The vectors ship with the repository: without `PARLEY_VECTORS`, every Wycheproof file the
 * suite knows is in `test-vectors/`, and a missing file is a failure, not a skip.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repositoryRoot, runWycheproofFile, vectorsDirectory } from '@parley/conformance';
import { createNodePrimitives } from '@parley/primitives-node';
import { WYCHEPROOF_FILES } from '@parley/primitives/testing';

test('the default vectors folder is test-vectors/ in the repository, with every Wycheproof file', () => {
  const directory = vectorsDirectory({});
  assert.equal(directory, join(repositoryRoot(), 'test-vectors'));
  assert.ok(existsSync(join(directory, 'SOURCES.md')));
  for (const file of WYCHEPROOF_FILES)
    assert.ok(existsSync(join(directory, 'wycheproof', file)), file);
});

test('a missing vector file counts as a failure, never as skipped', () => {
  const result = runWycheproofFile(WYCHEPROOF_FILES[0] ?? '', createNodePrimitives(), {
    PARLEY_VECTORS: '/nonexistent-parley-vectors',
  });
  assert.equal(result.failed, 1);
  assert.equal(result.skipped, 0);
  assert.match(result.failures.join('\n'), /missing from PARLEY_VECTORS=/);
});
