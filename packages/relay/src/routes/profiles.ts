/** Encrypted profiles: the owner replaces its blob, any authenticated device reads it. */
import type { FastifyInstance } from 'fastify';
import { ROUTES } from '@parley/api';
import { fromBase64, toBase64 } from '@parley/bytes';
import type { RelayContext } from '../context.js';
import { RelayError } from '../errors.js';
import { registerRoute, type Authenticate } from '../route.js';

export function profileRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  authenticate: Authenticate,
): void {
  registerRoute(app, authenticate, ROUTES.putProfile, async (req, auth) => {
    const profile = fromBase64(req.body.profile);
    await ctx.storage.transact((w) => w.profiles.setProfile(auth.accountId, profile));
    return undefined;
  });

  registerRoute(app, authenticate, ROUTES.getProfile, async (req) => {
    const { accountId } = req.params;
    const profile = await ctx.storage.reader.profiles.profile(accountId);
    if (profile !== undefined) return { profile: toBase64(profile) };
    if ((await ctx.storage.reader.accounts.byId(accountId)) === undefined)
      throw new RelayError('ACCOUNT_NOT_FOUND', 'no such account');
    throw new RelayError('PROFILE_NOT_FOUND', 'no profile');
  });
}
