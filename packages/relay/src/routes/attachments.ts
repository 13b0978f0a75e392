/** Attachments: opaque encrypted blobs under unguessable ids, until they expire. */
import type { FastifyInstance } from 'fastify';
import { ROUTES } from '@parley/api';
import type { RelayContext } from '../context.js';
import { randomToken } from '../credentials.js';
import { RelayError } from '../errors.js';
import { ATTACHMENT_TTL_MS } from '../limits.js';
import { registerRoute, type Authenticate } from '../route.js';

export function attachmentRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  authenticate: Authenticate,
): void {
  const { storage, now } = ctx;

  registerRoute(app, authenticate, ROUTES.uploadAttachment, async (req, auth) => {
    const bytes = req.body;
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
      throw new RelayError('INVALID_REQUEST', 'expected a non-empty application/octet-stream body');
    }
    const attachmentId = randomToken();
    const expiresAt = now() + ATTACHMENT_TTL_MS;
    await storage.transact((w) =>
      w.attachments.put({ attachmentId, bytes: new Uint8Array(bytes), expiresAt }, auth.accountId),
    );
    return { attachmentId, expiresAt };
  });

  registerRoute(app, authenticate, ROUTES.downloadAttachment, async (req) => {
    const found = await storage.reader.attachments.get(req.params.attachmentId, now());
    if (found === undefined) throw new RelayError('ATTACHMENT_NOT_FOUND', 'no such attachment');
    return found.bytes;
  });
}
