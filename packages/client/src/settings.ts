/**
 * Settings kept in the store: this device's choices (typing indicators, off by default, as in
 * Signal: off means neither sent nor shown) and each conversation's disappearing-message timer
 * (`disappearing.ts`), keyed `u/ACCOUNT` for a 1:1 conversation and `g/GROUP` for a group.
 */
import { utf8Decode, utf8Encode } from '@parley/bytes';
import type { StorageReader, StorageWriter } from './storage.js';

export const SETTINGS_NS = { device: 'settings', timer: 'conversation-timer' } as const;

const RECORD_VERSION = 1;

export interface DeviceSettings {
  readonly typingIndicators: boolean;
}

const DEFAULTS: DeviceSettings = { typingIndicators: false };

/** A conversation's timer: `seconds` (0: off), set at `at` (the newest setting wins). */
export interface TimerRecord {
  readonly seconds: number;
  readonly at: number;
}

/** A conversation: a contact (account id) or a group (group id). */
export type ConversationRef = { readonly peer: string } | { readonly groupId: string };

export function conversationKey(c: ConversationRef): string {
  return 'peer' in c ? `u/${c.peer}` : `g/${c.groupId}`;
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- typed read of our own JSON
function read<T>(r: StorageReader, ns: string, key: string): T | undefined {
  const bytes = r.get(ns, key);
  return bytes === undefined ? undefined : (JSON.parse(utf8Decode(bytes)) as T);
}

export const settings = {
  device: (r: StorageReader): DeviceSettings => ({
    ...DEFAULTS,
    ...read<Partial<DeviceSettings>>(r, SETTINGS_NS.device, 'self'),
  }),
  putDevice: (w: StorageWriter, s: DeviceSettings): void => {
    w.put(SETTINGS_NS.device, 'self', utf8Encode(JSON.stringify({ rv: RECORD_VERSION, ...s })));
  },
  timer: (r: StorageReader, c: ConversationRef): TimerRecord =>
    read<TimerRecord>(r, SETTINGS_NS.timer, conversationKey(c)) ?? { seconds: 0, at: 0 },
  /** Stores a timer unless a newer one is already stored; whether it was stored. */
  putTimer: (w: StorageWriter, c: ConversationRef, t: TimerRecord): boolean => {
    const current = settings.timer(w, c);
    // Ties go to the longer timer, so every device ends with the same one.
    if (current.at > t.at || (current.at === t.at && current.seconds >= t.seconds)) return false;
    w.put(
      SETTINGS_NS.timer,
      conversationKey(c),
      utf8Encode(JSON.stringify({ rv: RECORD_VERSION, seconds: t.seconds, at: t.at })),
    );
    return true;
  },
};
