import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  canonicalManifest,
  compareManifests,
  createManifest,
  encodeManifest,
  MANIFEST_FORMAT,
  manifestRoot,
  parseManifest,
  WebIntegrityError,
  webIntegrityLimits,
} from '@parley/web-integrity';

const enc = new TextEncoder();
const hex64 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => Buffer.from(b).toString('hex'));
const sample = createManifest('0.1.0', [
  { path: '/index.html', bytes: enc.encode('<!doctype html>') },
  { path: '/assets/a-1234abcd.js', bytes: enc.encode('export {}') },
]);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof WebIntegrityError) return e.code;
    throw e;
  }
  return 'none';
}

describe('web manifest', () => {
  it('the root is SHA-256 over the documented canonical text', () => {
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const text =
      `${MANIFEST_FORMAT}\n` +
      `${sha('export {}')} 9 /assets/a-1234abcd.js\n` +
      `${sha('<!doctype html>')} 15 /index.html\n`;
    assert.equal(canonicalManifest(sample.files), text);
    assert.equal(sample.root, sha(text));
    assert.deepEqual(
      sample.files.map((f) => f.path),
      ['/assets/a-1234abcd.js', '/index.html'],
    );
  });

  it('round-trips through its JSON form', () => {
    assert.deepEqual(parseManifest(encodeManifest(sample)), sample);
  });

  it('refuses a root that is not the hash of the files', () => {
    const json = JSON.parse(encodeManifest(sample)) as { files: { size: number }[] };
    const first = json.files[0];
    assert.ok(first !== undefined);
    first.size += 1;
    assert.equal(
      code(() => parseManifest(JSON.stringify(json))),
      'ROOT_MISMATCH',
    );
  });

  it('refuses unsafe paths, unsorted or repeated files, bad digests and sizes', () => {
    const bad = (files: unknown[]) =>
      code(() =>
        parseManifest(
          JSON.stringify({ format: MANIFEST_FORMAT, version: '1', root: '0'.repeat(64), files }),
        ),
      );
    const f = { path: '/a.js', sha256: 'a'.repeat(64), size: 1 };
    for (const path of ['a.js', '/../a.js', '/a/./b', '/a b', '/a\nb', '//a', '/a/']) {
      assert.equal(bad([{ ...f, path }]), 'INVALID_MANIFEST', path);
    }
    assert.equal(bad([f, f]), 'INVALID_MANIFEST');
    assert.equal(bad([{ ...f, path: '/b.js' }, f]), 'INVALID_MANIFEST');
    assert.equal(bad([{ ...f, sha256: 'A'.repeat(64) }]), 'INVALID_MANIFEST');
    assert.equal(bad([{ ...f, size: -1 }]), 'INVALID_MANIFEST');
    assert.equal(bad([{ ...f, size: 1.5 }]), 'INVALID_MANIFEST');
    assert.equal(
      bad(Array.from({ length: webIntegrityLimits.MAX_MANIFEST_FILES + 1 }, () => f)),
      'INVALID_MANIFEST',
    );
  });

  it('compares two manifests file by file', () => {
    const other = createManifest('0.1.0', [
      { path: '/index.html', bytes: enc.encode('<!doctype html><script>') },
      { path: '/new.js', bytes: enc.encode('') },
    ]);
    assert.deepEqual(compareManifests(sample.files, other.files), [
      { path: '/assets/a-1234abcd.js', kind: 'missing' },
      { path: '/index.html', kind: 'changed' },
      { path: '/new.js', kind: 'extra' },
    ]);
    assert.equal(manifestRoot(other.files) === sample.root, false);
  });

  it('fuzz: any input either parses to a self-consistent manifest or fails with a code', () => {
    const file = fc.record({
      path: fc.oneof(fc.constantFrom('/index.html', '/a.js', '/x/../y'), fc.string()),
      sha256: fc.oneof(hex64, fc.string()),
      size: fc.oneof(fc.nat(), fc.double()),
    });
    const doc = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({
          format: fc.constantFrom(MANIFEST_FORMAT, 'x'),
          version: fc.string(),
          root: hex64,
          files: fc.array(file, { maxLength: 5 }),
        })
        .map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(doc, (text) => {
        try {
          const m = parseManifest(text);
          assert.equal(manifestRoot(m.files), m.root);
        } catch (e) {
          assert.ok(e instanceof WebIntegrityError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property: the root changes whenever any byte of any file changes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 32 }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (bodies, pick) => {
          const entries = bodies.map((bytes, i) => ({ path: `/f${i}.js`, bytes }));
          const a = createManifest('1', entries);
          const i = pick % entries.length;
          const changed = entries.map((e, j) =>
            j === i ? { ...e, bytes: Uint8Array.from([...e.bytes, 0]) } : e,
          );
          assert.notEqual(createManifest('1', changed).root, a.root);
        },
      ),
    );
  });
});
