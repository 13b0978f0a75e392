import { concatBytes, fromHex, toHex } from '@parley/bytes';
import { ProtocolError } from './errors.js';
import { MAX_ADDRESS_NAME_LENGTH, MAX_DEVICE_ID, MIN_DEVICE_ID } from './limits.js';

/** A remote or local device: an account name (a ServiceId string for libsignal) and a device id. */
export interface ProtocolAddress {
  readonly name: string;
  readonly deviceId: number;
}

/** Checks the device id range and name length; returns the address unchanged. */
export function checkAddress(address: ProtocolAddress): ProtocolAddress {
  const { name, deviceId } = address;
  if (!Number.isInteger(deviceId) || deviceId < MIN_DEVICE_ID || deviceId > MAX_DEVICE_ID) {
    throw new ProtocolError('MISUSE', `device id must be ${MIN_DEVICE_ID}..${MAX_DEVICE_ID}`);
  }
  if (name.length === 0 || name.length > MAX_ADDRESS_NAME_LENGTH) {
    throw new ProtocolError('MISUSE', 'address name length out of range');
  }
  return address;
}

/** A string key for maps: `name.deviceId`, as libsignal prints addresses. */
export function addressKey(address: ProtocolAddress): string {
  return `${address.name}.${address.deviceId}`;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** `ServiceIdFixedWidth`: kind byte (0 ACI, 1 PNI) ‖ 16-byte UUID, or undefined for other names. */
export function serviceIdFixedWidth(name: string): Uint8Array | undefined {
  const pni = name.startsWith('PNI:');
  const uuid = pni ? name.slice(4) : name;
  if (!UUID.test(uuid)) return undefined;
  return concatBytes(Uint8Array.of(pni ? 1 : 0), fromHex(uuid.replaceAll('-', '').toLowerCase()));
}

/**
 * The 36-byte `addresses` binding of a SignalMessage (spec §4): sender ServiceId ‖ sender
 * device ‖ recipient ServiceId ‖ recipient device; undefined unless both names are ServiceIds.
 */
export function addressesBinding(
  sender: ProtocolAddress,
  recipient: ProtocolAddress,
): Uint8Array | undefined {
  const s = serviceIdFixedWidth(sender.name);
  const r = serviceIdFixedWidth(recipient.name);
  if (s === undefined || r === undefined) return undefined;
  return concatBytes(s, Uint8Array.of(sender.deviceId), r, Uint8Array.of(recipient.deviceId));
}

/** The lowercase hyphenated string of a 16-byte UUID. */
export function uuidString(bytes: Uint8Array): string {
  const h = toHex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The ServiceId string (`uuid` for an ACI, `PNI:uuid`) of a 17-byte fixed-width form, or undefined. */
export function serviceIdFromFixedWidth(bytes: Uint8Array): string | undefined {
  if (bytes.length !== 17) return undefined;
  const uuid = uuidString(bytes.subarray(1));
  if (bytes[0] === 0) return uuid;
  if (bytes[0] === 1) return `PNI:${uuid}`;
  return undefined;
}
