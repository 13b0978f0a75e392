/**
 * What the primary checks before it signs a device list that adds a newly linked device. The
 * relay tells us which device id the new device got, and a relay that lies could make us sign
 * a list without one of our own devices (the key that signs is ours, so the damage would last):
 * the new id must be a fresh one, and the list we sign must keep every device of the list we
 * hold, our own first.
 */
import { constantTimeEqual } from '@parley/bytes';
import type { DeviceEntry } from './device-list.js';
import { ClientError } from './errors.js';
import type { AccountRecord } from './state.js';

/** The list to sign: `current` (verified, ours) plus `added`; throws if the relay's id is bad. */
export function checkLinkedList(
  a: AccountRecord,
  current: readonly DeviceEntry[],
  added: DeviceEntry,
): DeviceEntry[] {
  const inconsistent = (what: string): never => {
    throw new ClientError(
      'RELAY_INCONSISTENT',
      `the relay reported ${what} for the new device; nothing was signed`,
    );
  };
  if (!Number.isSafeInteger(added.deviceId) || added.deviceId < 1)
    inconsistent(`an invalid device id`);
  if (!current.some((d) => d.deviceId === a.deviceId))
    throw new ClientError(
      'UNTRUSTED_DEVICES',
      'our own signed device list does not contain this device; nothing was signed',
    );
  if (current.some((d) => d.deviceId === added.deviceId))
    inconsistent(`device id ${added.deviceId}, which our signed list already holds`);
  if (current.some((d) => constantTimeEqual(d.identityKey, added.identityKey)))
    inconsistent('an identity key that another of our devices has');
  return [...current, added];
}
