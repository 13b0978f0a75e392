/**
 * Gossip of the log's signed heads inside end-to-end encrypted messages (issue 13;
 * draft-ietf-keytrans-architecture-09's out-of-band checking, compare_roots). Each text message
 * carries, beside its content (field `kt`, base64, ignored by clients that do not know it), the
 * last head this device verified: a `DistinguishedHead` of 104 bytes. A receiver checks the
 * head's signature under the pinned log key and compares it with its own head and every head it
 * has seen at that size; one size with two roots is a fork, stored with both signed heads as
 * evidence (`KT_FORK`): from then on nothing is sent to keys the log vouches for. A head that
 * does not verify is ignored (a contact cannot fake a fork without the log's key). Heads of
 * other sizes are kept (the newest `MAX_SEEN_HEADS`) and compared when a head of that size turns
 * up. A contact's head of another size is proven (or disproven) to be in this device's history
 * by the log's head-consistency proof, fetched at the next monitoring run
 * ({@link headsToProve}; `Transparency.monitor`): a proof that puts another root at that size is
 * the same fork (`KT_FORK`, both signed heads and the proof kept as evidence); a proof that does
 * not verify or is withheld leaves the head unproven ("cannot verify" in the run's report).
 */
import { fromBase64, toBase64, utf8Decode, utf8Encode } from '@parley/bytes';
import {
  checkConfiguration,
  compareRoots,
  createSuite,
  decodeConfiguration,
  decodeDistinguishedHead,
  distinguishedHeadOf,
  encodeDistinguishedHead,
  verifyDistinguishedHead,
  type ClientContext as KtContext,
  type DistinguishedHead,
  type HeadState,
} from '@parley/keytrans';
import type { ClientContext } from './context.js';
import { ClientError } from './errors.js';
import { MAX_CONTENT_BYTES, MAX_SEEN_HEADS } from './limits.js';
import type { StorageReader, StorageWriter } from './storage.js';
import { KT_NAMESPACE, decodeState, encodeState } from './transparency-store.js';

export { MAX_SEEN_HEADS } from './limits.js';
/** Longest `kt` field accepted in a message (a 104-byte head is 140 base64 characters). */
export const MAX_GOSSIP_FIELD = 512;
const SEEN = 'seen:';
const FORK = 'fork';
/** Seen-head keys sort by size: zero-padded decimal (tree sizes stay below 2^48). */
const SIZE_DIGITS = 15;

/** Evidence of a fork: two heads the log signed for one size with different roots. */
export interface KtFork {
  /** When this device noticed. */
  readonly at: number;
  readonly treeSize: number;
  /** The head this device held (its own or one gossiped earlier), base64 `DistinguishedHead`. */
  readonly ours: string;
  /** The conflicting head, base64 `DistinguishedHead`. */
  readonly theirs: string;
  /** The account whose message carried the conflicting head (absent: this device's own search). */
  readonly from?: string;
  /**
   * Heads of different sizes: the log's own consistency proof (base64 hashes) that, walked over
   * this device's retained full subtrees (base64, of `ours`), gives `treeSize` another root than
   * the one `theirs` carries.
   */
  readonly consistency?: {
    readonly fullSubtrees: readonly string[];
    readonly proof: readonly string[];
  };
}

interface SeenHead {
  readonly head: string;
  readonly from?: string;
  /**
   * The size of this device's head that a consistency proof showed this head consistent with:
   * settled for good when the head is smaller; a larger head is proven again once this device's
   * head has moved (its new head may have left the old one's history).
   */
  readonly checked?: number;
}

function ktContext(c: ClientContext, db: StorageReader): KtContext | undefined {
  const bytes = db.get(KT_NAMESPACE, 'config');
  if (bytes === undefined) return undefined;
  const config = decodeConfiguration(bytes);
  checkConfiguration(config);
  return { suite: createSuite(c.p), config };
}

/** The recorded fork, if any. */
export function ktFork(db: StorageReader): KtFork | undefined {
  const raw = db.get(KT_NAMESPACE, FORK);
  return raw === undefined ? undefined : (decodeState(raw) as KtFork);
}

/** Throws `KT_FORK` once a fork is recorded: keys the log vouches for can no longer be trusted. */
export function refuseAfterFork(db: StorageReader): void {
  const fork = ktFork(db);
  if (fork === undefined) return;
  const ours = decodeDistinguishedHead(fromBase64(fork.ours)).treeSize;
  throw new ClientError(
    'KT_FORK',
    ours === fork.treeSize
      ? `the transparency log showed two different trees of size ${fork.treeSize} (evidence kept; see kt status); not sending`
      : `the transparency log showed trees of sizes ${ours} and ${fork.treeSize} that are not one history (evidence kept; see kt status); not sending`,
  );
}

const seenKey = (size: number): string => SEEN + String(size).padStart(SIZE_DIGITS, '0');

function seenAt(db: StorageReader, size: number): SeenHead | undefined {
  const raw = db.get(KT_NAMESPACE, seenKey(size));
  return raw === undefined ? undefined : (decodeState(raw) as SeenHead);
}

function remember(w: StorageWriter, head: DistinguishedHead, from?: string): void {
  if (seenAt(w, head.treeSize) !== undefined) return;
  const entry: SeenHead = {
    head: toBase64(encodeDistinguishedHead(head)),
    ...(from === undefined ? {} : { from }),
  };
  w.put(KT_NAMESPACE, seenKey(head.treeSize), encodeState(entry));
  const keys = w
    .list(KT_NAMESPACE)
    .map(([k]) => k)
    .filter((k) => k.startsWith(SEEN));
  for (const k of keys.slice(0, Math.max(0, keys.length - MAX_SEEN_HEADS)))
    w.delete(KT_NAMESPACE, k);
}

/**
 * Compares a verified head with the one held at its size; records the fork (with both heads)
 * or remembers the head. Returns whether it found a fork.
 */
function compareAndRemember(
  c: ClientContext,
  w: StorageWriter,
  head: DistinguishedHead,
  from?: string,
): boolean {
  const held = seenAt(w, head.treeSize);
  if (held !== undefined) {
    const ours = decodeDistinguishedHead(fromBase64(held.head));
    if (compareRoots(ours, head) === 'fork') {
      if (ktFork(w) === undefined) {
        const fork: KtFork = {
          at: c.now(),
          treeSize: head.treeSize,
          ours: held.head,
          theirs: toBase64(encodeDistinguishedHead(head)),
          ...(from === undefined ? {} : { from }),
        };
        w.put(KT_NAMESPACE, FORK, encodeState(fork));
      }
      return true;
    }
    // This device's own head at a contact's size: that head is now proven in our history.
    if (from === undefined && held.from !== undefined && held.checked === undefined)
      w.put(KT_NAMESPACE, seenKey(head.treeSize), encodeState({ ...held, checked: head.treeSize }));
    return false;
  }
  remember(w, head, from);
  return false;
}

/**
 * A head this device verified itself, inside the transaction that would adopt it: compared with
 * the heads seen at its size and remembered. Returns true on a fork (recorded; the caller must
 * not adopt the head, and {@link refuseAfterFork} then throws `KT_FORK`).
 */
export function noteOwnHead(c: ClientContext, w: StorageWriter, state: HeadState): boolean {
  const ctx = ktContext(c, w);
  if (ctx === undefined) return false;
  return compareAndRemember(c, w, distinguishedHeadOf(ctx, state));
}

/** A contact's gossiped head of another size than this device's, not yet proven in its history. */
export interface UnprovenHead {
  readonly head: DistinguishedHead;
  readonly from: string;
}

function settled(seen: SeenHead, size: number, ownSize: number): boolean {
  if (seen.from === undefined || size === ownSize) return true; // own heads: one verified chain
  return seen.checked !== undefined && (size <= seen.checked || seen.checked === ownSize);
}

/**
 * The contacts' heads that need a head-consistency proof against this device's head of size
 * `ownSize` (at most {@link MAX_SEEN_HEADS}: only that many are kept).
 */
export function headsToProve(db: StorageReader, ownSize: number): UnprovenHead[] {
  const out: UnprovenHead[] = [];
  for (const [key, raw] of db.list(KT_NAMESPACE)) {
    if (!key.startsWith(SEEN)) continue;
    const seen = decodeState(raw) as SeenHead;
    const head = decodeDistinguishedHead(fromBase64(seen.head));
    if (!settled(seen, head.treeSize, ownSize) && seen.from !== undefined)
      out.push({ head, from: seen.from });
  }
  return out;
}

/**
 * Records the outcome of a head-consistency proof between this device's head `own` (its state,
 * still the adopted one: the caller checks) and a contact's head: `same` marks the contact's head
 * proven against `own`'s size; `fork` records the fork with both heads and the proof.
 */
export function noteConsistency(
  c: ClientContext,
  w: StorageWriter,
  own: HeadState,
  other: UnprovenHead,
  outcome: 'same' | 'fork',
  proof: readonly Uint8Array[],
): void {
  const ownSize = own.treeHead.treeSize;
  if (outcome === 'same') {
    const held = seenAt(w, other.head.treeSize);
    if (held !== undefined)
      w.put(KT_NAMESPACE, seenKey(other.head.treeSize), encodeState({ ...held, checked: ownSize }));
    return;
  }
  if (ktFork(w) !== undefined) return;
  const ctx = ktContext(c, w);
  if (ctx === undefined) return;
  const fork: KtFork = {
    at: c.now(),
    treeSize: other.head.treeSize,
    ours: toBase64(encodeDistinguishedHead(distinguishedHeadOf(ctx, own))),
    theirs: toBase64(encodeDistinguishedHead(other.head)),
    from: other.from,
    consistency: { fullSubtrees: own.fullSubtrees.map(toBase64), proof: proof.map(toBase64) },
  };
  w.put(KT_NAMESPACE, FORK, encodeState(fork));
}

/** The message content with this device's head added (unchanged when there is none or no room). */
export function withGossip(c: ClientContext, content: Uint8Array): Uint8Array {
  const ctx = ktContext(c, c.db);
  const raw = c.db.get(KT_NAMESPACE, 'head');
  if (ctx === undefined || raw === undefined) return content;
  const head = distinguishedHeadOf(ctx, decodeState(raw) as HeadState);
  const parsed = JSON.parse(utf8Decode(content)) as Record<string, unknown>;
  const out = utf8Encode(
    JSON.stringify({ ...parsed, kt: toBase64(encodeDistinguishedHead(head)) }),
  );
  return out.length > MAX_CONTENT_BYTES ? content : out;
}

/** The `kt` field of a decrypted content, if it is one (never throws). */
function gossipField(content: Uint8Array): string | undefined {
  try {
    const v = JSON.parse(utf8Decode(content)) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const kt = (v as { kt?: unknown }).kt;
    return typeof kt === 'string' && kt.length <= MAX_GOSSIP_FIELD ? kt : undefined;
  } catch {
    return undefined;
  }
}

export type GossipOutcome = 'none' | 'ignored' | 'consistent' | 'fork';

/**
 * The head a contact's message carried (inside the transaction that records the message): a
 * head that does not decode or verify is ignored and changes nothing; a verified one is compared
 * with ours and the ones seen, and a fork recorded.
 */
export function takeGossip(
  c: ClientContext,
  w: StorageWriter,
  content: Uint8Array,
  from: string,
): GossipOutcome {
  const field = gossipField(content);
  if (field === undefined) return 'none';
  const ctx = ktContext(c, w);
  if (ctx === undefined) return 'ignored';
  let head: DistinguishedHead;
  try {
    head = decodeDistinguishedHead(fromBase64(field));
    verifyDistinguishedHead(ctx, head);
  } catch {
    // Not a head the log signed (malformed, forged, altered): nothing to compare, nothing kept.
    return 'ignored';
  }
  const raw = w.get(KT_NAMESPACE, 'head');
  if (raw !== undefined) remember(w, distinguishedHeadOf(ctx, decodeState(raw) as HeadState));
  return compareAndRemember(c, w, head, from) ? 'fork' : 'consistent';
}
