/**
 * Database rows shared by the SQL backends (SQLite and PostgreSQL use the same column names and
 * types for these tables) and their mapping to storage records.
 */
import type { HandshakeRecord } from './group-types.js';
import type { AccountRecord, DeviceRecord, KeyRecord } from './types.js';

export interface AccountRow {
  account_id: string;
  username: string;
  identity_key: Uint8Array;
  created_at: number;
}
export interface DeviceRow {
  account_id: string;
  device_id: number;
  registration_id: number;
  identity_key: Uint8Array;
  secret_hash: Uint8Array;
  created_at: number;
}
export interface KeyRow {
  key_id: number;
  public_key: Uint8Array;
  signature: Uint8Array;
}
export interface HandshakeRow {
  group_id: string;
  epoch: number;
  sender_account: string;
  sender_device: number;
  commit_message: Uint8Array;
  server_timestamp: number;
}

export const toAccount = (r: AccountRow): AccountRecord => ({
  accountId: r.account_id,
  username: r.username,
  identityKey: r.identity_key,
  createdAt: r.created_at,
});
export const toDevice = (r: DeviceRow): DeviceRecord => ({
  accountId: r.account_id,
  deviceId: r.device_id,
  registrationId: r.registration_id,
  identityKey: r.identity_key,
  secretHash: r.secret_hash,
  createdAt: r.created_at,
});
export const toKey = (r: KeyRow): KeyRecord => ({
  keyId: r.key_id,
  publicKey: r.public_key,
  signature: r.signature,
});
export const toHandshake = (r: HandshakeRow): HandshakeRecord => ({
  groupId: r.group_id,
  epoch: r.epoch,
  senderAccountId: r.sender_account,
  senderDeviceId: r.sender_device,
  commit: r.commit_message,
  serverTimestamp: r.server_timestamp,
});
