/**
 * Attachment blobs uploaded in chunks (`ATTACHMENT_UPLOAD_ROUTES`): the checks around the blob
 * store. An upload belongs to the device that started it; it expires `UPLOAD_TTL_MS` after its
 * last chunk until complete, then `ATTACHMENT_TTL_MS` after completion. Per account, at most
 * `MAX_INCOMPLETE_UPLOADS_PER_ACCOUNT` incomplete uploads and `MAX_BLOB_BYTES_PER_ACCOUNT`
 * declared bytes. Nothing here reads the bytes.
 */
import type { FastifyInstance } from 'fastify';
import { ROUTES, limits, type UploadResponse } from '@parley/api';
import type { BlobMeta } from '../blobs/types.js';
import type { RelayContext } from '../context.js';
import type { DeviceIdentity } from '../credentials.js';
import { randomToken } from '../credentials.js';
import { RelayError } from '../errors.js';
import {
  ATTACHMENT_TTL_MS,
  MAX_BLOB_BYTES_PER_ACCOUNT,
  MAX_INCOMPLETE_UPLOADS_PER_ACCOUNT,
  UPLOAD_TTL_MS,
} from '../limits.js';
import { registerRoute, type Authenticate } from '../route.js';

function answer(meta: BlobMeta): UploadResponse {
  return {
    attachmentId: meta.attachmentId,
    size: meta.size,
    received: meta.received,
    expiresAt: meta.expiresAt,
  };
}

export function attachmentUploadRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  authenticate: Authenticate,
): void {
  const { blobs, now } = ctx;

  /** The caller's own live upload, or ATTACHMENT_NOT_FOUND (also for another device's). */
  const ownUpload = async (attachmentId: string, auth: DeviceIdentity): Promise<BlobMeta> => {
    const meta = await blobs.get(attachmentId);
    if (
      meta === undefined ||
      meta.expiresAt <= now() ||
      meta.accountId !== auth.accountId ||
      meta.deviceId !== auth.deviceId
    )
      throw new RelayError('ATTACHMENT_NOT_FOUND', 'no such upload');
    return meta;
  };

  registerRoute(app, authenticate, ROUTES.createUpload, async (req, auth) => {
    const t = now();
    const usage = await blobs.usage(auth.accountId, t);
    if (usage.incomplete >= MAX_INCOMPLETE_UPLOADS_PER_ACCOUNT)
      throw new RelayError('TOO_MANY_UPLOADS', 'too many incomplete uploads');
    if (usage.bytes + req.body.size > MAX_BLOB_BYTES_PER_ACCOUNT)
      throw new RelayError('TOO_MANY_UPLOADS', 'the account holds too many blob bytes');
    const meta = {
      attachmentId: randomToken(),
      accountId: auth.accountId,
      deviceId: auth.deviceId,
      size: req.body.size,
      expiresAt: t + UPLOAD_TTL_MS,
    };
    await blobs.create(meta);
    return answer({ ...meta, received: 0 });
  });

  registerRoute(app, authenticate, ROUTES.putUploadChunk, async (req, auth) => {
    const bytes = req.body;
    if (!(bytes instanceof Uint8Array) || bytes.length === 0)
      throw new RelayError('INVALID_REQUEST', 'expected a non-empty application/octet-stream body');
    if (bytes.length > limits.MAX_BLOB_CHUNK_BYTES)
      throw new RelayError('BODY_TOO_LARGE', 'chunk too large');
    const meta = await ownUpload(req.params.attachmentId, auth);
    const { offset } = req.query;
    const mismatch = (received: number) =>
      new RelayError('UPLOAD_OFFSET_MISMATCH', 'the chunk does not continue the upload', {
        received,
      });
    if (offset !== meta.received) throw mismatch(meta.received);
    if (offset + bytes.length > meta.size)
      throw new RelayError('INVALID_REQUEST', 'the chunk passes the declared size');
    const t = now();
    const complete = offset + bytes.length === meta.size;
    const after = await blobs.append(
      meta.attachmentId,
      offset,
      bytes,
      t + (complete ? ATTACHMENT_TTL_MS : UPLOAD_TTL_MS),
    );
    if (after === undefined) throw new RelayError('ATTACHMENT_NOT_FOUND', 'no such upload');
    // A concurrent chunk for the same offset won: this one changed nothing.
    if (after.received !== offset + bytes.length) throw mismatch(after.received);
    return answer(after);
  });

  registerRoute(app, authenticate, ROUTES.getUpload, async (req, auth) =>
    answer(await ownUpload(req.params.attachmentId, auth)),
  );

  registerRoute(app, authenticate, ROUTES.downloadBlob, async (req) => {
    const meta = await blobs.get(req.params.attachmentId);
    if (meta === undefined || meta.expiresAt <= now() || meta.received < meta.size)
      throw new RelayError('ATTACHMENT_NOT_FOUND', 'no such attachment');
    const offset = req.query.offset ?? 0;
    const length = req.query.length ?? limits.MAX_BLOB_CHUNK_BYTES;
    return blobs.read(meta.attachmentId, offset, length);
  });
}
