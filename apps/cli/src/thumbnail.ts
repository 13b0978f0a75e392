/**
 * Thumbnails for images sent with `--file`, made on this device and carried inside the encrypted
 * message (`AttachmentPointer.thumbnail`, at most `clientLimits.MAX_THUMBNAIL_BYTES`). There are
 * no native image libraries here, so decoding is pure JavaScript: `jpeg-js` for JPEG (decode and
 * the thumbnail's own encoding) and `fast-png` for PNG, both without dependencies on native code
 * and chosen for being small and widely used. The image is scaled down by averaging each output
 * pixel's source area (transparency is laid on white), then encoded as JPEG at decreasing sizes
 * and qualities until it fits. Anything else, or an image that does not decode within the bounds
 * below, is sent without a thumbnail: a thumbnail is never worth failing a send for.
 */
import { clientLimits } from '@parley/client';
import { decode as decodePng, convertIndexedToRgb } from 'fast-png';
import jpeg from 'jpeg-js';

/** Largest image file read whole to make a thumbnail (bigger images are sent without one). */
export const MAX_THUMBNAIL_SOURCE_BYTES = 16 * 1024 * 1024;
/** Largest image decoded (pixels): the decoded RGBA is 4 bytes a pixel, held in memory. */
export const MAX_THUMBNAIL_SOURCE_PIXELS = 24_000_000;
/** Sides (the longer one, in pixels) and JPEG qualities tried, in order, until one fits. */
const ATTEMPTS: readonly (readonly [number, number])[] = [
  [96, 70],
  [96, 50],
  [64, 60],
  [48, 50],
  [32, 40],
];

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

function startsWith(bytes: Uint8Array, sig: readonly number[]): boolean {
  return sig.every((b, i) => bytes[i] === b);
}

/** Whether the bytes are a thumbnail this CLI shows (JPEG or PNG), and its file extension. */
export function thumbnailExtension(bytes: Uint8Array): '.jpg' | '.png' | undefined {
  if (startsWith(bytes, JPEG_SIGNATURE)) return '.jpg';
  if (startsWith(bytes, PNG_SIGNATURE)) return '.png';
  return undefined;
}

interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

function pngDimensions(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24 || !startsWith(bytes, PNG_SIGNATURE)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function decodePngRgba(bytes: Uint8Array): Rgba | undefined {
  const dims = pngDimensions(bytes);
  if (dims === undefined || dims.width * dims.height > MAX_THUMBNAIL_SOURCE_PIXELS)
    return undefined;
  const png = decodePng(bytes);
  const { width, height } = png;
  let channels = png.channels;
  let data: ArrayLike<number> = png.data;
  if (png.palette !== undefined) {
    data = convertIndexedToRgb(png);
    channels = png.palette[0]?.length ?? 3;
  }
  const shift = png.depth === 16 ? 8 : 0;
  const scale = png.depth < 8 ? 255 / (2 ** png.depth - 1) : 1;
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const px = (c: number) => Math.round(((data[i * channels + c] ?? 0) >> shift) * scale);
    const gray = channels <= 2;
    const r = px(0);
    out[i * 4] = r;
    out[i * 4 + 1] = gray ? r : px(1);
    out[i * 4 + 2] = gray ? r : px(2);
    out[i * 4 + 3] = channels === 2 ? px(1) : channels === 4 ? px(3) : 255;
  }
  return { width, height, data: out };
}

function decodeJpegRgba(bytes: Uint8Array): Rgba {
  return jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: MAX_THUMBNAIL_SOURCE_PIXELS / 1_000_000,
    maxMemoryUsageInMB: 256,
  });
}

/** Scales down by averaging each output pixel's source box; alpha is laid on white. */
function shrink(src: Rgba, side: number): Rgba {
  const ratio = Math.max(src.width, src.height) / side;
  const f = Math.max(1, ratio);
  const width = Math.max(1, Math.round(src.width / f));
  const height = Math.max(1, Math.round(src.height / f));
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * src.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * src.height) / height));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * src.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * src.width) / width));
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let sy = y0; sy < y1; sy++)
        for (let sx = x0; sx < x1; sx++) {
          const i = (sy * src.width + sx) * 4;
          const a = (src.data[i + 3] ?? 255) / 255;
          r += (src.data[i] ?? 0) * a + 255 * (1 - a);
          g += (src.data[i + 1] ?? 0) * a + 255 * (1 - a);
          b += (src.data[i + 2] ?? 0) * a + 255 * (1 - a);
          n++;
        }
      const o = (y * width + x) * 4;
      out[o] = Math.round(r / n);
      out[o + 1] = Math.round(g / n);
      out[o + 2] = Math.round(b / n);
      out[o + 3] = 255;
    }
  }
  return { width, height, data: out };
}

/**
 * A JPEG thumbnail of a PNG or JPEG image (by its bytes, not its name) of at most
 * `MAX_THUMBNAIL_BYTES`; undefined for anything else or an image that does not decode.
 */
export function makeThumbnail(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length > MAX_THUMBNAIL_SOURCE_BYTES) return undefined;
  let image: Rgba | undefined;
  try {
    if (startsWith(bytes, PNG_SIGNATURE)) image = decodePngRgba(bytes);
    else if (startsWith(bytes, JPEG_SIGNATURE)) image = decodeJpegRgba(bytes);
  } catch {
    return undefined; // malformed or over the decoder's bounds: no thumbnail
  }
  if (image === undefined || image.width === 0 || image.height === 0) return undefined;
  for (const [side, quality] of ATTEMPTS) {
    const small = shrink(image, side);
    const encoded = new Uint8Array(jpeg.encode(small, quality).data);
    if (encoded.length <= clientLimits.MAX_THUMBNAIL_BYTES) return encoded;
  }
  return undefined;
}
