/**
 * What the web client does with a file's content type, which is the sender's word (inside the
 * encrypted message, so a hostile contact chooses it freely). Only raster images are shown
 * inline (SVG can carry script); every other file becomes opaque bytes, so that its `blob:` URL,
 * even opened as a page, can never render the sender's HTML or SVG in this origin.
 */

/** Shown inline as an image: `image/*` except SVG. */
export function isInlineImage(contentType: string): boolean {
  const t = contentType.trim().toLowerCase();
  return t.startsWith('image/') && !t.startsWith('image/svg');
}

/** The type a decrypted file's Blob gets. */
export function blobTypeOf(contentType: string): string {
  return isInlineImage(contentType) ? contentType.trim().toLowerCase() : 'application/octet-stream';
}
