/**
 * Device credentials: 32 random bytes chosen by the device, stored as their SHA-256 (a fast
 * hash is enough for a full-entropy secret), compared in constant time.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { limits } from '@parley/api';
import { constantTimeEqual, fromBase64, toBase64Url, zeroize } from '@parley/bytes';
import type { Reader } from './storage/types.js';

export interface DeviceIdentity {
  readonly accountId: string;
  readonly deviceId: number;
}

/** SHA-256 of a device secret; the secret's bytes are zeroed afterwards. */
export function hashSecret(secret: Uint8Array): Uint8Array {
  const hash = createHash('sha256').update(secret).digest();
  zeroize(secret);
  return hash;
}

/** Hex SHA-256 of a token string (link tokens are stored only as this). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** An unguessable id: 32 random bytes in base64url (43 characters). */
export function randomToken(): string {
  return toBase64Url(randomBytes(32));
}

/** A relay-assigned id for accounts and messages. */
export function newId(): string {
  return randomUUID();
}

const DUMMY_HASH = hashSecret(new Uint8Array(limits.DEVICE_SECRET_BYTES));

/**
 * Checks a device's secret (base64). Unknown devices cost the same hash and comparison as
 * known ones, and every failure looks the same to the caller.
 */
export async function verifyDevice(
  reader: Reader,
  accountId: string,
  deviceId: number,
  secretBase64: string,
): Promise<DeviceIdentity | undefined> {
  let secret: Uint8Array;
  try {
    secret = fromBase64(secretBase64);
  } catch {
    return undefined;
  }
  return verifyDeviceSecret(reader, accountId, deviceId, secret);
}

/** `verifyDevice` with the secret's bytes (zeroed afterwards), as the WebSocket `auth` frame carries it. */
export async function verifyDeviceSecret(
  reader: Reader,
  accountId: string,
  deviceId: number,
  secret: Uint8Array,
): Promise<DeviceIdentity | undefined> {
  if (secret.length !== limits.DEVICE_SECRET_BYTES) return undefined;
  const device = await reader.devices.get(accountId, deviceId);
  const ok = constantTimeEqual(hashSecret(secret), device?.secretHash ?? DUMMY_HASH);
  return ok && device !== undefined ? { accountId, deviceId } : undefined;
}

const BASIC = /^Basic ([A-Za-z0-9+/]{1,512}={0,2})$/;
const USER = /^([A-Za-z0-9_-]{1,64})\.(\d{1,3}):(.{1,128})$/;

/** Parses `Authorization: Basic base64(accountId.deviceId:secret)`; undefined if malformed. */
export function parseBasicAuth(
  header: string | undefined,
): { accountId: string; deviceId: number; secret: string } | undefined {
  if (header === undefined) return undefined;
  const m = BASIC.exec(header);
  if (m?.[1] === undefined) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const u = USER.exec(decoded);
  if (u?.[1] === undefined || u[2] === undefined || u[3] === undefined) return undefined;
  return { accountId: u[1], deviceId: Number(u[2]), secret: u[3] };
}

/** The header value a client sends (used by tests and the load generator). */
export function basicAuthHeader(accountId: string, deviceId: number, secretBase64: string): string {
  return `Basic ${Buffer.from(`${accountId}.${deviceId}:${secretBase64}`).toString('base64')}`;
}
