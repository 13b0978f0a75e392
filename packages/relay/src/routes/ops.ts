/** Operations endpoints: health and Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import { ROUTES } from '@parley/api';
import { constantTimeEqual, utf8Encode } from '@parley/bytes';
import type { RelayContext } from '../context.js';
import { hashToken } from '../credentials.js';
import { RelayError } from '../errors.js';
import { registerRoute, type Authenticate } from '../route.js';

export function opsRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  authenticate: Authenticate,
): void {
  registerRoute(app, authenticate, ROUTES.health, async () => {
    try {
      await ctx.storage.reader.accounts.byId('health-check');
    } catch {
      throw new RelayError('UNAVAILABLE', 'storage unavailable');
    }
    return { status: 'ok' as const, storage: ctx.storage.kind };
  });

  registerRoute(app, authenticate, ROUTES.metrics, async (req, _auth, reply) => {
    const expected = ctx.metricsTokenHash;
    if (expected !== undefined) {
      const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      // Both sides are 64 hex characters, compared without an early exit.
      if (!constantTimeEqual(utf8Encode(hashToken(given)), utf8Encode(expected))) {
        throw new RelayError('UNAUTHORIZED', 'metrics need the operator token');
      }
    }
    const depth = await ctx.storage.reader.messages.total();
    void reply.type('text/plain; version=0.0.4');
    return ctx.metrics.render(depth);
  });
}
