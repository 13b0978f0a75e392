/**
 * Message guids: `<seq>_<epoch>`, where `seq` is the message's queue position and `epoch` a
 * random value the storage chose when it was created. The guid is unique per device because
 * `seq` is, and stays unique across a reset of the storage because the epoch changes, so a
 * client's record of what it has seen never matches a new message. It needs no index of its own:
 * an acknowledgement by guid is a lookup by `seq`.
 */

/** The guid of the message at `seq` in a storage of `epoch`. */
export function formatGuid(seq: number, epoch: string): string {
  return `${String(seq)}_${epoch}`;
}

/** The `seq` of a guid made by `formatGuid` with `epoch`; undefined for any other string. */
export function parseGuid(guid: string, epoch: string): number | undefined {
  const at = guid.indexOf('_');
  if (at < 1 || at > 16 || guid.slice(at + 1) !== epoch) return undefined;
  const digits = guid.slice(0, at);
  if (!/^[1-9][0-9]*$/.test(digits)) return undefined;
  const seq = Number(digits);
  return Number.isSafeInteger(seq) ? seq : undefined;
}
