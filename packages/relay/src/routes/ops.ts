/** Operations endpoints: health and Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import { ROUTES } from '@parley/api';
import type { RelayContext } from '../context.js';
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

  registerRoute(app, authenticate, ROUTES.metrics, async (_req, _auth, reply) => {
    const depth = await ctx.storage.reader.messages.total();
    void reply.type('text/plain; version=0.0.4');
    return ctx.metrics.render(depth);
  });
}
