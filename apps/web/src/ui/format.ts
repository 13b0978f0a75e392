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

/** A file size as people read it: bytes, KB or MB (1,024-based, one decimal under 10 KB). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A base64 string's bytes (thumbnails carried in messages). */
export function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
