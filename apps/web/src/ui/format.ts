/**
 * Times as people read them: the time today, the date otherwise. The two formatters are made
 * once: `toLocaleTimeString` with options builds a new one at every call, which cost 81 ms of
 * the page's time over twelve opens of a conversation in a profile (every visible message and
 * conversation formats its time).
 */
let timeFormat: Intl.DateTimeFormat | undefined;
let dateFormat: Intl.DateTimeFormat | undefined;

export function formatTime(at: number): string {
  const d = new Date(at);
  const now = new Date();
  const today =
    d.getDate() === now.getDate() &&
    d.getMonth() === now.getMonth() &&
    d.getFullYear() === now.getFullYear();
  if (today) {
    timeFormat ??= new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
    return timeFormat.format(d);
  }
  dateFormat ??= new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
  return dateFormat.format(d);
}
