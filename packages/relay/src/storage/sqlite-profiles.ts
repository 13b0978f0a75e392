/**
 * The SQLite backend's profiles table (migration 5): per account, its delivery token hash and
 * encrypted profile, deleted with the account (foreign key cascade).
 */
import type Database from 'better-sqlite3';
import type { ProfileReader, ProfileWriter } from './profile-types.js';

type Db = Database.Database;

export function sqliteProfileReader(db: Db): ProfileReader {
  const q = {
    token: db.prepare<[string], { h: Uint8Array | null }>(
      'SELECT delivery_token_hash AS h FROM profiles WHERE account_id = ?',
    ),
    profile: db.prepare<[string], { p: Uint8Array | null }>(
      'SELECT profile AS p FROM profiles WHERE account_id = ?',
    ),
  };
  return {
    deliveryTokenHash: (a) => Promise.resolve(q.token.get(a)?.h ?? undefined),
    profile: (a) => Promise.resolve(q.profile.get(a)?.p ?? undefined),
  };
}

export function sqliteProfileWriter(db: Db): ProfileWriter {
  const w = {
    token: db.prepare<[string, Uint8Array | null]>(
      `INSERT INTO profiles (account_id, delivery_token_hash) VALUES (?, ?)
       ON CONFLICT (account_id) DO UPDATE SET delivery_token_hash = excluded.delivery_token_hash`,
    ),
    profile: db.prepare<[string, Uint8Array]>(
      `INSERT INTO profiles (account_id, profile) VALUES (?, ?)
       ON CONFLICT (account_id) DO UPDATE SET profile = excluded.profile`,
    ),
  };
  return {
    ...sqliteProfileReader(db),
    setDeliveryTokenHash: (a, hash) => {
      w.token.run(a, hash);
      return Promise.resolve();
    },
    setProfile: (a, profile) => {
      w.profile.run(a, profile);
      return Promise.resolve();
    },
  };
}
