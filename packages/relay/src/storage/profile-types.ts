/**
 * What an account publishes for its contacts (issues 14 and 18): the SHA-256 of its delivery
 * token, which admits sealed sends to its devices, and its encrypted profile, an opaque blob.
 * One row per account, deleted with the account.
 */

export interface ProfileReader {
  /** SHA-256 of the account's delivery token; undefined if it has none (or revoked it). */
  deliveryTokenHash(accountId: string): Promise<Uint8Array | undefined>;
  /** The account's encrypted profile, if it stored one. */
  profile(accountId: string): Promise<Uint8Array | undefined>;
}

export interface ProfileWriter extends ProfileReader {
  /** Replaces the account's delivery token hash; `null` revokes it. */
  setDeliveryTokenHash(accountId: string, hash: Uint8Array | null): Promise<void>;
  /** Replaces the account's encrypted profile. */
  setProfile(accountId: string, profile: Uint8Array): Promise<void>;
}
