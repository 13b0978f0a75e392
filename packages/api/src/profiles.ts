/**
 * Encrypted profiles (issue 14): the owner stores its name and avatar encrypted under its
 * profile key, which it shares only with contacts inside end-to-end encrypted messages; the
 * relay keeps the ciphertext as an opaque blob and hands it to any authenticated device.
 */
// The builder's functions one by one (not the `Type` object), so a bundle keeps only those used.
import * as Type from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { MAX_PROFILE_BYTES } from './limits.js';
import { AccountIdParams, Base64 } from './schemas.js';
import type { RouteSpec } from './routes.js';

const strict = { additionalProperties: false } as const;

export const EncryptedProfile = Type.Object(
  {
    /** The profile sealed under the owner's profile key (opaque to the relay). */
    profile: Base64(MAX_PROFILE_BYTES),
  },
  strict,
);
export type EncryptedProfile = Static<typeof EncryptedProfile>;

export const PROFILE_ROUTES = {
  putProfile: {
    method: 'PUT',
    url: '/v1/profile',
    auth: 'primary',
    summary: "Store the account's encrypted profile, replacing the previous one.",
    body: EncryptedProfile,
    success: { status: 204, schema: null },
    errors: ['UNAUTHORIZED', 'FORBIDDEN'],
  },
  getProfile: {
    method: 'GET',
    url: '/v1/accounts/:accountId/profile',
    auth: 'device',
    summary: "An account's encrypted profile (only holders of its profile key can read it).",
    params: AccountIdParams,
    success: { status: 200, schema: EncryptedProfile },
    errors: ['UNAUTHORIZED', 'ACCOUNT_NOT_FOUND', 'PROFILE_NOT_FOUND'],
  },
} as const satisfies Record<string, RouteSpec>;
