/** The PostgreSQL backend's profiles table (migration 2): see `storage/profile-types.ts`. */
import type { ProfileReader, ProfileWriter } from '../storage/profile-types.js';
import type { Query } from './query.js';

export function pgProfileReader(q: Query): ProfileReader {
  return {
    deliveryTokenHash: async (a) =>
      (
        await q<{ h: Uint8Array | null }>(
          'SELECT delivery_token_hash AS h FROM profiles WHERE account_id = $1',
          [a],
        )
      ).rows[0]?.h ?? undefined,
    profile: async (a) =>
      (
        await q<{ p: Uint8Array | null }>(
          'SELECT profile AS p FROM profiles WHERE account_id = $1',
          [a],
        )
      ).rows[0]?.p ?? undefined,
  };
}

export function pgProfileWriter(q: Query): ProfileWriter {
  return {
    ...pgProfileReader(q),
    setDeliveryTokenHash: async (a, hash) => {
      await q(
        `INSERT INTO profiles (account_id, delivery_token_hash) VALUES ($1, $2)
         ON CONFLICT (account_id) DO UPDATE SET delivery_token_hash = excluded.delivery_token_hash`,
        [a, hash],
      );
    },
    setProfile: async (a, profile) => {
      await q(
        `INSERT INTO profiles (account_id, profile) VALUES ($1, $2)
         ON CONFLICT (account_id) DO UPDATE SET profile = excluded.profile`,
        [a, profile],
      );
    },
  };
}
