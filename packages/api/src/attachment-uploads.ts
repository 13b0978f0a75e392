/**
 * The wire contract for attachment blobs of any size: a device declares the blob's size, sends
 * it in chunks at increasing offsets (each chunk is one request, so an interrupted upload asks
 * how much arrived and continues from there), and any device downloads it in ranges by its
 * unguessable id until it expires. Blobs are encrypted and padded by clients; the relay learns
 * only the padded size, who uploaded and when, never a name, a content type or a byte of the
 * file.
 */
// The builder's functions one by one (not the `Type` object), so a bundle keeps only those used.
import * as Type from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { MAX_BLOB_BYTES, MAX_BLOB_CHUNK_BYTES } from './limits.js';
import { Id, Timestamp } from './schemas.js';
import type { RouteSpec } from './routes.js';

const strict = { additionalProperties: false } as const;

export const CreateUploadRequest = Type.Object(
  { size: Type.Integer({ minimum: 1, maximum: MAX_BLOB_BYTES }) },
  strict,
);
export type CreateUploadRequest = Static<typeof CreateUploadRequest>;

/** An upload's state: `received` bytes of `size` arrived; complete when they are equal. */
export const UploadResponse = Type.Object({
  attachmentId: Id,
  size: Type.Integer({ minimum: 1, maximum: MAX_BLOB_BYTES }),
  received: Type.Integer({ minimum: 0, maximum: MAX_BLOB_BYTES }),
  expiresAt: Timestamp,
});
export type UploadResponse = Static<typeof UploadResponse>;

export const UploadParams = Type.Object({ attachmentId: Id }, strict);
export const UploadChunkQuery = Type.Object(
  { offset: Type.Integer({ minimum: 0, maximum: MAX_BLOB_BYTES }) },
  strict,
);
export const BlobRangeQuery = Type.Object(
  {
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_BLOB_BYTES })),
    length: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_BLOB_CHUNK_BYTES })),
  },
  strict,
);

export const ATTACHMENT_UPLOAD_ROUTES = {
  createUpload: {
    method: 'POST',
    url: '/v1/attachments/uploads',
    auth: 'device',
    summary:
      'Start an upload of an encrypted blob of `size` bytes; returns its unguessable id. Incomplete uploads expire sooner than complete blobs.',
    body: CreateUploadRequest,
    success: { status: 201, schema: UploadResponse },
    errors: ['UNAUTHORIZED', 'TOO_MANY_UPLOADS'],
  },
  putUploadChunk: {
    method: 'PUT',
    url: '/v1/attachments/uploads/:attachmentId',
    auth: 'device',
    summary: `Append a chunk (application/octet-stream, at most ${MAX_BLOB_CHUNK_BYTES} bytes) at \`offset\`, which must equal the bytes received so far. Only the uploading device may append.`,
    params: UploadParams,
    query: UploadChunkQuery,
    body: 'octet-stream',
    bodyLimit: MAX_BLOB_CHUNK_BYTES,
    success: { status: 200, schema: UploadResponse },
    errors: ['UNAUTHORIZED', 'ATTACHMENT_NOT_FOUND', 'UPLOAD_OFFSET_MISMATCH', 'BODY_TOO_LARGE'],
  },
  getUpload: {
    method: 'GET',
    url: '/v1/attachments/uploads/:attachmentId',
    auth: 'device',
    summary:
      'How many bytes of an upload arrived (to resume it). Only the uploading device may ask.',
    params: UploadParams,
    success: { status: 200, schema: UploadResponse },
    errors: ['UNAUTHORIZED', 'ATTACHMENT_NOT_FOUND'],
  },
  downloadBlob: {
    method: 'GET',
    url: '/v1/attachments/blobs/:attachmentId',
    auth: 'device',
    summary: `Bytes of a complete blob from \`offset\` (default 0), at most \`length\` (default and limit ${MAX_BLOB_CHUNK_BYTES}); an empty body past the end.`,
    params: UploadParams,
    query: BlobRangeQuery,
    success: { status: 200, schema: 'octet-stream' },
    errors: ['UNAUTHORIZED', 'ATTACHMENT_NOT_FOUND'],
  },
} as const satisfies Record<string, RouteSpec>;
