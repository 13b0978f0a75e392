/**
 * Sealed sender's certificates: the trust root for anyone, a short-lived sender certificate for
 * the authenticated device. Both are `NOT_FOUND` when the deployment gave no issuer. The
 * certificate names the device's registered identity key, never a key from the request.
 * The delivery token (its owner registers and revokes it) and the unauthenticated send
 * (`sealed-delivery.ts`) work without an issuer: they need no relay key.
 */
import type { FastifyInstance } from 'fastify';
import { ROUTES } from '@parley/api';
import { fromBase64, toBase64 } from '@parley/bytes';
import type { RelayContext } from '../context.js';
import { RelayError } from '../errors.js';
import { registerRoute, type Authenticate } from '../route.js';
import {
  hashDeliveryToken,
  storeSealedMultiSend,
  storeSealedSend,
  type SealedLimiters,
} from '../sealed-delivery.js';
import type { SenderCertificateIssuer } from '../sealed-sender.js';

function required(issuer: SenderCertificateIssuer | undefined): SenderCertificateIssuer {
  if (issuer === undefined) throw new RelayError('NOT_FOUND', 'sealed sender is not enabled');
  return issuer;
}

export function sealedSenderRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  authenticate: Authenticate,
  issuer: SenderCertificateIssuer | undefined,
  limiters: SealedLimiters | undefined,
): void {
  registerRoute(app, authenticate, ROUTES.getTrustRoot, async () =>
    Promise.resolve({ trustRoot: toBase64(required(issuer).trustRoot) }),
  );

  registerRoute(app, authenticate, ROUTES.getSenderCertificate, async (_req, auth) => {
    const active = required(issuer);
    const device = await ctx.storage.reader.devices.get(auth.accountId, auth.deviceId);
    if (device === undefined) throw new RelayError('UNAUTHORIZED', 'unauthorized');
    const issued = active.issue(
      { accountId: device.accountId, deviceId: device.deviceId, identityKey: device.identityKey },
      ctx.now(),
    );
    return { certificate: toBase64(issued.certificate), expiresAt: issued.expiresAt };
  });

  registerRoute(app, authenticate, ROUTES.putDeliveryToken, async (req, auth) => {
    const hash = hashDeliveryToken(fromBase64(req.body.deliveryToken));
    await ctx.storage.transact((w) => w.profiles.setDeliveryTokenHash(auth.accountId, hash));
    return undefined;
  });

  registerRoute(app, authenticate, ROUTES.deleteDeliveryToken, async (_req, auth) => {
    await ctx.storage.transact((w) => w.profiles.setDeliveryTokenHash(auth.accountId, null));
    return undefined;
  });

  registerRoute(app, authenticate, ROUTES.sendSealed, async (req) =>
    storeSealedSend(ctx, limiters, req.ip, req.body),
  );

  registerRoute(app, authenticate, ROUTES.sendSealedMulti, async (req) =>
    storeSealedMultiSend(ctx, limiters, req.ip, req.body),
  );
}
