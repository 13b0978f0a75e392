/** Sentences for the error codes a person can meet. */
import { RequestError } from './engine-link.dom.js';

const TEXT: Record<string, string> = {
  USERNAME_TAKEN: 'That username is taken. Try another.',
  UNKNOWN_USER: 'Nobody has that username on this relay.',
  UNREACHABLE: 'The relay cannot be reached. Your message waits and goes out when it can.',
  KEY_CHANGED:
    'This contact’s safety number changed. Check it with them, then accept it before sending.',
  UNTRUSTED_DEVICES: 'The relay listed a device this contact did not sign. Nothing was sent.',
  ENGINE_CHANGED: 'Parley moved to another tab while this was in progress. Try again.',
  NOT_READY: 'Parley is still starting. Try again in a moment.',
  DEVICE_REMOVED:
    'This browser was removed from your account, so it cannot send. Wipe its local data (Settings) to link it again.',
  STORE_LOCKED: 'That passphrase is not right.',
  NOT_A_MEMBER: 'You are no longer a member of this group.',
  UNKNOWN_GROUP: 'There is no such group.',
  UNBACKED_MEMBER:
    'Refused: a device offered for this group is not in its owner’s signed device list.',
  GROUP_CONFLICT: 'Others changed the group at the same time. Try again.',
  MISUSE: 'That is not possible now.',
};

export function errorText(error: unknown): string {
  if (error instanceof RequestError) {
    const known = TEXT[error.code];
    if (known !== undefined) return known;
    if (error.code === 'INVALID_INPUT' || error.code === 'RELAY')
      return `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`;
    return `Something went wrong (${error.code}).`;
  }
  return 'Something went wrong.';
}
