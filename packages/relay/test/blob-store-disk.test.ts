import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDiskBlobStore } from '@parley/relay';
import { runBlobStoreConformance } from '@parley/relay/testing';

runBlobStoreConformance('disk', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-blobs-'));
  const store = await openDiskBlobStore(dir);
  return {
    store,
    reopen: async () => {
      await store.close();
      return openDiskBlobStore(dir);
    },
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

test('disk blob store: files it did not write, or cannot parse, are ignored or swept at open', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-blobs-'));
  writeFileSync(join(dir, 'aaaaaaaaaaaaaaaaaaaa.json'), '{not json');
  writeFileSync(join(dir, 'aaaaaaaaaaaaaaaaaaaa.blob'), 'x');
  writeFileSync(
    join(dir, 'bbbbbbbbbbbbbbbbbbbb.json'),
    JSON.stringify({ accountId: 'a', deviceId: 1, size: 1, expiresAt: 9 }),
  );
  writeFileSync(join(dir, 'bbbbbbbbbbbbbbbbbbbb.blob'), 'too long');
  writeFileSync(join(dir, '..%2Fescape.json'), '{}');
  const store = await openDiskBlobStore(dir);
  assert.equal(await store.get('aaaaaaaaaaaaaaaaaaaa'), undefined);
  assert.equal(await store.get('bbbbbbbbbbbbbbbbbbbb'), undefined);
  assert.deepEqual(readdirSync(dir).sort(), ['..%2Fescape.json']);
  await assert.rejects(
    store.create({ attachmentId: '../x', accountId: 'a', deviceId: 1, size: 1, expiresAt: 1 }),
  );
  rmSync(dir, { recursive: true, force: true });
});
