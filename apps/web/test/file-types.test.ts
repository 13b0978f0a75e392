/** A hostile contact chooses a file's content type: only raster images keep theirs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blobTypeOf, isInlineImage } from '../src/engine/file-types.js';

test('raster images are shown and keep their type; SVG, HTML and anything else become opaque bytes', () => {
  for (const t of ['image/png', 'image/jpeg', 'IMAGE/WEBP', ' image/gif ']) {
    assert.equal(isInlineImage(t), true, t);
    assert.equal(blobTypeOf(t), t.trim().toLowerCase());
  }
  for (const t of [
    'image/svg+xml',
    'IMAGE/SVG+XML',
    'image/svg',
    'text/html',
    'application/xhtml+xml',
    'text/html; charset=utf-8',
    'application/javascript',
    '',
    'imagepng',
  ]) {
    assert.equal(isInlineImage(t), false, t);
    assert.equal(blobTypeOf(t), 'application/octet-stream', t);
  }
});
