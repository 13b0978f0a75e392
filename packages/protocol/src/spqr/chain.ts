/**
 * SPQR's symmetric key chains: one link per epoch, each with a sending and a receiving
 * direction whose keys salt the Double Ratchet's message keys. Epoch 0 comes from PQXDH's SPQR
 * key ("Chain Start"); each braid epoch secret adds the next link ("Chain Add Epoch"). The
 * sender keeps the link it sends on and one before it; the receiver keeps skipped keys of a
 * direction for out-of-order messages, within the jump and history limits of spqr's
 * `ChainParams` (25,000 ahead, 2,000 behind).
 */
import { concatBytes, uint32BE, utf8Encode } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { SPQR_MAX_JUMP, SPQR_MAX_OOO_KEYS } from '../limits.js';

const INFO_START = utf8Encode('Signal PQ Ratchet V1 Chain  Start');
const INFO_ADD_EPOCH = utf8Encode('Signal PQ Ratchet V1 Chain Add Epoch');
const INFO_NEXT = utf8Encode('Signal PQ Ratchet V1 Chain Next');
const ZERO_SALT = new Uint8Array(32);
/** Links kept before the one we send on (spqr `EPOCHS_TO_KEEP_PRIOR_TO_SEND_EPOCH`). */
const LINKS_BEFORE_SEND = 1;
/** The history is trimmed once it holds this many keys (spqr's `trim_size`: 110% + 1). */
export const SPQR_HISTORY_TRIM = Math.floor((SPQR_MAX_OOO_KEYS * 11) / 10) + 1;

export interface HistoryKey {
  readonly index: number;
  readonly key: Uint8Array;
}

export interface ChainDirection {
  /** Index of the last key taken (0 before the first). */
  readonly ctr: number;
  /** The chain seed; empty once a sending direction is retired. */
  readonly next: Uint8Array;
  /** Skipped receiving keys, in the order they were stored. */
  readonly history: readonly HistoryKey[];
}

export interface ChainLink {
  readonly send: ChainDirection;
  readonly recv: ChainDirection;
}

export interface Chain {
  readonly initiator: boolean;
  /** The newest epoch with a link. */
  readonly currentEpoch: number;
  /** The epoch of the link we last sent on. */
  readonly sendEpoch: number;
  /** Links of epochs currentEpoch − links.length + 1 … currentEpoch. */
  readonly links: readonly ChainLink[];
  readonly nextRoot: Uint8Array;
}

/** Why a key could not be had; the caller turns every one into a decryption failure. */
export type ChainFailure = 'epoch' | 'jump' | 'trimmed' | 'used';

function link(okm: Uint8Array, initiator: boolean): ChainLink {
  const a2b = okm.slice(32, 64);
  const b2a = okm.slice(64, 96);
  return {
    send: { ctr: 0, next: initiator ? a2b : b2a, history: [] },
    recv: { ctr: 0, next: initiator ? b2a : a2b, history: [] },
  };
}

export function chainStart(p: Primitives, pqrKey: Uint8Array, initiator: boolean): Chain {
  const okm = p.hkdf('sha256', pqrKey, ZERO_SALT, INFO_START, 96);
  return {
    initiator,
    currentEpoch: 0,
    sendEpoch: 0,
    links: [link(okm, initiator)],
    nextRoot: okm.slice(0, 32),
  };
}

/** The chain with the link of `currentEpoch + 1` derived from that epoch's braid secret. */
export function chainAddEpoch(p: Primitives, c: Chain, secret: Uint8Array): Chain {
  const okm = p.hkdf('sha256', secret, c.nextRoot, INFO_ADD_EPOCH, 96);
  return {
    ...c,
    currentEpoch: c.currentEpoch + 1,
    links: [...c.links, link(okm, c.initiator)],
    nextRoot: okm.slice(0, 32),
  };
}

function step(p: Primitives, seed: Uint8Array, ctr: number): { next: Uint8Array; key: Uint8Array } {
  const okm = p.hkdf('sha256', seed, ZERO_SALT, concatBytes(uint32BE(ctr), INFO_NEXT), 64);
  return { next: okm.slice(0, 32), key: okm.slice(32, 64) };
}

function linkIndex(c: Chain, epoch: number): number | undefined {
  if (epoch > c.currentEpoch) return undefined;
  const back = c.currentEpoch - epoch;
  return back < c.links.length ? c.links.length - 1 - back : undefined;
}

/** The next sending key of `epoch` and its index; undefined if the epoch is gone or ahead. */
export function chainSendKey(
  p: Primitives,
  c: Chain,
  epoch: number,
): { chain: Chain; index: number; key: Uint8Array } | undefined {
  if (epoch < c.sendEpoch) return undefined;
  const found = linkIndex(c, epoch);
  if (found === undefined) return undefined;
  let at = found;
  let links = c.links;
  if (epoch !== c.sendEpoch) {
    const drop = Math.max(0, found - LINKS_BEFORE_SEND);
    at = found - drop;
    links = links
      .slice(drop)
      .map((l, i) => (i < at ? { ...l, send: { ...l.send, next: new Uint8Array(0) } } : l));
  }
  const current = links[at];
  if (current === undefined || current.send.next.length !== 32) return undefined;
  const index = current.send.ctr + 1;
  const { next, key } = step(p, current.send.next, index);
  const updated = links.map((l, i) =>
    i === at ? { ...l, send: { ...l.send, ctr: index, next } } : l,
  );
  return { chain: { ...c, sendEpoch: epoch, links: updated }, index, key };
}

function receive(
  p: Primitives,
  d: ChainDirection,
  at: number,
): { direction: ChainDirection; key: Uint8Array } | ChainFailure {
  if (at < d.ctr) {
    if (at + SPQR_MAX_OOO_KEYS < d.ctr) return 'trimmed';
    const found = d.history.findIndex((h) => h.index === at);
    const hit = d.history[found];
    if (hit === undefined) return 'used';
    const history = d.history.slice();
    // spqr removes by moving the last entry into the hole
    const last = history.pop();
    if (last !== undefined && found < history.length) history[found] = last;
    return { direction: { ...d, history }, key: hit.key };
  }
  if (at === d.ctr) return 'used';
  if (at - d.ctr > SPQR_MAX_JUMP) return 'jump';
  let history = at > d.ctr + SPQR_MAX_OOO_KEYS ? [] : d.history.slice();
  let seed = d.next;
  let ctr = d.ctr;
  while (at > ctr + 1) {
    ctr += 1;
    const s = step(p, seed, ctr);
    seed = s.next;
    if (ctr + SPQR_MAX_OOO_KEYS >= at) history.push({ index: ctr, key: s.key });
  }
  if (history.length >= SPQR_HISTORY_TRIM) {
    const horizon = ctr - SPQR_MAX_OOO_KEYS;
    history = history.filter((h) => h.index >= horizon);
  }
  const last = step(p, seed, at);
  return { direction: { ctr: at, next: last.next, history }, key: last.key };
}

/** The receiving key of (`epoch`, `index`), consumed. */
export function chainRecvKey(
  p: Primitives,
  c: Chain,
  epoch: number,
  index: number,
): { chain: Chain; key: Uint8Array } | ChainFailure {
  const at = linkIndex(c, epoch);
  const current = at === undefined ? undefined : c.links[at];
  if (current === undefined) return 'epoch';
  const got = receive(p, current.recv, index);
  if (typeof got === 'string') return got;
  const links = c.links.map((l, i) => (i === at ? { ...l, recv: got.direction } : l));
  return { chain: { ...c, links }, key: got.key };
}
