/** Thumbnails made by the CLI (`src/thumbnail.ts`): PNG and JPEG in, a small JPEG out. */
import { ok, strictEqual } from 'node:assert/strict';
import { test } from 'node:test';
import { clientLimits } from '@parley/client';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { makeThumbnail, thumbnailExtension } from '../src/thumbnail.js';

/** An RGBA image: left half red, right half blue (opaque unless `alpha`). */
function halves(width: number, height: number, alpha = 255): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const left = x < width / 2;
      data[i] = left ? 255 : 0;
      data[i + 2] = left ? 0 : 255;
      data[i + 3] = alpha;
    }
  return data;
}

function pixel(img: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const i = (y * img.width + x) * 4;
  return [img.data[i] ?? -1, img.data[i + 1] ?? -1, img.data[i + 2] ?? -1];
}

function near(got: number[], want: number[], what: string): void {
  ok(
    got.every((v, i) => Math.abs(v - (want[i] ?? 0)) < 48),
    `${what}: ${got.join(',')} vs ${want.join(',')}`,
  );
}

function checkThumbnail(thumb: Uint8Array | undefined, width: number, height: number) {
  ok(thumb !== undefined, 'a thumbnail was made');
  strictEqual(thumbnailExtension(thumb), '.jpg');
  ok(thumb.length <= clientLimits.MAX_THUMBNAIL_BYTES, `${thumb.length} bytes`);
  const img = jpeg.decode(thumb, { useTArray: true, formatAsRGBA: true });
  ok(Math.max(img.width, img.height) <= 96);
  // The aspect ratio is kept (to a pixel).
  ok(Math.abs(img.width / img.height - width / height) < 0.05, `${img.width}x${img.height}`);
  return img;
}

test('a PNG gets a small JPEG thumbnail with its colours and shape', () => {
  const png = encodePng({ width: 400, height: 200, data: halves(400, 200), channels: 4 });
  const img = checkThumbnail(makeThumbnail(png), 400, 200);
  near(pixel(img, 2, 2), [255, 0, 0], 'left is red');
  near(pixel(img, img.width - 3, img.height - 3), [0, 0, 255], 'right is blue');
});

test('transparency is laid on white', () => {
  const png = encodePng({ width: 64, height: 64, data: halves(64, 64, 0), channels: 4 });
  const img = checkThumbnail(makeThumbnail(png), 64, 64);
  near(pixel(img, 5, 5), [255, 255, 255], 'transparent is white');
});

test('a large JPEG gets a thumbnail within the limit', () => {
  const data = new Uint8Array(1200 * 900 * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251; // noisy: compresses badly
  const big = jpeg.encode({ width: 1200, height: 900, data }, 90).data;
  checkThumbnail(makeThumbnail(new Uint8Array(big)), 1200, 900);
});

test('not an image, or a damaged one: no thumbnail', () => {
  strictEqual(makeThumbnail(new TextEncoder().encode('hello, not an image')), undefined);
  const png = encodePng({ width: 50, height: 50, data: halves(50, 50), channels: 4 });
  strictEqual(makeThumbnail(png.subarray(0, 40)), undefined, 'a truncated PNG');
  const jpg = new Uint8Array(jpeg.encode({ width: 50, height: 50, data: halves(50, 50) }).data);
  strictEqual(makeThumbnail(jpg.subarray(0, 30)), undefined, 'a truncated JPEG');
  // A header that claims more pixels than the bound is not decoded at all.
  const huge = new Uint8Array(png);
  new DataView(huge.buffer).setUint32(16, 100_000);
  new DataView(huge.buffer).setUint32(20, 100_000);
  strictEqual(makeThumbnail(huge), undefined);
});
