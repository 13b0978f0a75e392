/**
 * Notifications while a tab is open (the Notification API; no push service, nothing leaves the
 * browser). Off until turned on in Settings, which asks the browser's permission from that
 * gesture; the choice is kept in this browser's localStorage like the theme. A message
 * notifies only when its conversation is not on screen in a focused tab. Each notification is
 * tagged with the message id, so tabs of one profile that all see the message replace one
 * notification instead of stacking copies. The text shown is the message's start: the system's
 * notification centre then holds that plaintext, which is why it is off by default.
 */
import type { TimelineItem } from '../engine/protocol.js';

const NOTIFY_KEY = 'parley-notifications';
/** How much of a message a notification shows. */
export const NOTIFICATION_TEXT_CHARS = 120;

export type NotificationChoice = 'on' | 'off' | 'blocked' | 'unsupported';

function api(): typeof Notification | undefined {
  return typeof globalThis.Notification === 'function' ? globalThis.Notification : undefined;
}

/** What Settings shows: on only if chosen here and still allowed by the browser. */
export function notificationChoice(): NotificationChoice {
  const n = api();
  if (n === undefined) return 'unsupported';
  if (n.permission === 'denied') return 'blocked';
  return n.permission === 'granted' && localStorage.getItem(NOTIFY_KEY) === 'on' ? 'on' : 'off';
}

/** Turns notifications on (asking the browser, from the user's gesture) or off. */
export async function setNotifications(on: boolean): Promise<NotificationChoice> {
  const n = api();
  if (n === undefined) return 'unsupported';
  if (!on) {
    localStorage.removeItem(NOTIFY_KEY);
    return notificationChoice();
  }
  const permission = n.permission === 'granted' ? 'granted' : await n.requestPermission();
  if (permission !== 'granted') return permission === 'denied' ? 'blocked' : 'off';
  localStorage.setItem(NOTIFY_KEY, 'on');
  return 'on';
}

function preview(text: string): string {
  const chars = Array.from(text);
  return chars.length <= NOTIFICATION_TEXT_CHARS
    ? text
    : `${chars.slice(0, NOTIFICATION_TEXT_CHARS).join('')}…`;
}

/**
 * Shows one notification for new incoming messages unless their conversation is on screen
 * (`onScreen`); clicking it brings the tab forward and calls `open`.
 */
export function notifyIncoming(
  fresh: readonly TimelineItem[],
  title: string,
  onScreen: boolean,
  open: () => void,
): void {
  const n = api();
  const last = fresh.at(-1);
  if (n === undefined || last === undefined || notificationChoice() !== 'on') return;
  if (onScreen && document.visibilityState === 'visible' && document.hasFocus()) return;
  const body =
    fresh.length === 1
      ? preview(last.text)
      : `${fresh.length} new messages. The last: ${preview(last.text)}`;
  try {
    const shown = new n(title, { body, tag: last.id });
    shown.onclick = () => {
      window.focus();
      open();
      shown.close();
    };
  } catch {
    // A browser that lists the API but refuses pages' notifications (Android Chrome): nothing
    // to show, and nothing else depends on it.
  }
}
