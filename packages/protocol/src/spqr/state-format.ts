/**
 * The SPQR part of a stored session state (session record format version 3; see
 * `../record-format.ts`). Big-endian; epochs as two u32 (high, low); fixed-size fields bare.
 *
 * ```
 * spqr      = u8 hasBraid ‖ [braid] ‖ chain ‖ epoch recvEpoch
 * braid     = u8 kind ‖ epoch ‖ authRoot(32) ‖ authMac(32) ‖ fields of the kind, in the order of
 *             `braid-states.ts` (ek 1152, dk, hdr 64, es 96, ct1 960 bytes)
 * dk        = u8 form ‖ key: form 0 the expanded key (2400), form 1 the seed d ‖ z (64)
 * encoder   = payload (hdr ‖ mac 96, ek 1152, ct1 960 or ct2 ‖ mac 160) ‖ u32 next
 * decoder   = u16 count ‖ (u16 index ‖ chunk(32))*   (count ≤ chunks needed, ascending index)
 * chain     = u8 initiator ‖ epoch current ‖ epoch send ‖ u8 linkCount ‖ (dir send ‖ dir recv)* ‖
 *             u8 hasRoot ‖ [nextRoot(32)]
 * dir       = u32 ctr ‖ u8 hasNext ‖ [next(32)] ‖ u16 historyCount ‖ (u32 index ‖ key(32))*
 * ```
 * Version 2 had the same layout with every dk expanded and bare (2400 bytes, no form byte).
 * Version 1 stored only the epoch-0 chain of SPQR-lite: `readSpqrV1` turns it into a state
 * without a braid.
 */
import { ProtocolError } from '../errors.js';
import { SPQR_MAX_CHAIN_LINKS, SPQR_MAX_OOO_KEYS } from '../limits.js';
import { KEY, Reader, U32, Writer, invalidRecord } from '../record-codec.js';
import type { Authenticator } from './authenticator.js';
import { BRAID_KINDS, type BraidState } from './braid-states.js';
import { SPQR_HISTORY_TRIM, type Chain, type ChainDirection } from './chain.js';
import { CHUNK_BYTES, type Decoder, type Encoder } from './erasure.js';
import type { SpqrState } from './spqr.js';

const EK = 1152;
const DK = 2400;
const DK_SEED = 64;
/** The dk forms by their stored tag. */
const DK_FORMS = [DK, DK_SEED] as const;
/** The record version whose dk is always expanded and has no form byte. */
const VERSION_BARE_DK = 2;
const HDR = 64;
const ES = 96;
const CT1 = 960;
const HDR_PAYLOAD = 96;
const CT2_PAYLOAD = 160;
const EPOCH = 8;
const TWO_POW_32 = 0x1_0000_0000;
const CHUNK_ENTRY = 2 + CHUNK_BYTES;
const HISTORY_ENTRY = U32 + KEY;

function bad(what: string): ProtocolError {
  return invalidRecord('session record', what);
}

function encoderSize(e: Encoder): number {
  return e.payload.length + U32;
}
function decoderSize(d: Decoder): number {
  return 2 + d.chunks.length * CHUNK_ENTRY;
}

function dkSize(dk: Uint8Array): number {
  return 1 + dk.length;
}

function braidFieldsSize(b: BraidState): number {
  switch (b.kind) {
    case 'KeysUnsampled':
      return 0;
    case 'KeysSampled':
      return EK + dkSize(b.dk) + encoderSize(b.sendingHdr);
    case 'HeaderSent':
      return dkSize(b.dk) + encoderSize(b.sendingEk) + decoderSize(b.receivingCt1);
    case 'Ct1Received':
      return dkSize(b.dk) + CT1 + encoderSize(b.sendingEk);
    case 'EkSentCt1Received':
      return dkSize(b.dk) + CT1 + decoderSize(b.receivingCt2);
    case 'NoHeaderReceived':
      return decoderSize(b.receivingHdr);
    case 'HeaderReceived':
      return HDR + decoderSize(b.receivingEk);
    case 'Ct1Sampled':
      return HDR + ES + CT1 + encoderSize(b.sendingCt1) + decoderSize(b.receivingEk);
    case 'EkReceivedCt1Sampled':
      return ES + EK + CT1 + encoderSize(b.sendingCt1);
    case 'Ct1Acknowledged':
      return HDR + ES + CT1 + decoderSize(b.receivingEk);
    case 'Ct2Sampled':
      return encoderSize(b.sendingCt2);
  }
}

function dirSize(d: ChainDirection): number {
  return U32 + 1 + d.next.length + 2 + d.history.length * HISTORY_ENTRY;
}

/** Bytes `writeSpqr` writes for `s`. */
export function spqrSize(s: SpqrState): number {
  let size = 1 + EPOCH;
  if (s.braid !== undefined) size += 1 + EPOCH + 2 * KEY + braidFieldsSize(s.braid);
  size += 1 + 2 * EPOCH + 1 + 1 + s.chain.nextRoot.length;
  for (const l of s.chain.links) size += dirSize(l.send) + dirSize(l.recv);
  return size;
}

function writeEpoch(w: Writer, epoch: number): void {
  w.u32(Math.floor(epoch / TWO_POW_32));
  w.u32(epoch % TWO_POW_32);
}

function writeEncoder(w: Writer, e: Encoder): void {
  w.key(e.payload);
  w.u32(e.next);
}

function writeDecoder(w: Writer, d: Decoder): void {
  w.u16(d.chunks.length);
  for (const c of d.chunks) {
    w.u16(c.index);
    w.key(c.data);
  }
}

function writeDk(w: Writer, dk: Uint8Array): void {
  const form = DK_FORMS.indexOf(dk.length as (typeof DK_FORMS)[number]);
  if (form < 0) throw new ProtocolError('MISUSE', 'SPQR decapsulation key of no known form');
  w.u8(form);
  w.key(dk);
}

function writeBraid(w: Writer, b: BraidState): void {
  w.u8(BRAID_KINDS.indexOf(b.kind));
  writeEpoch(w, b.epoch);
  w.key(b.auth.rootKey);
  w.key(b.auth.macKey);
  switch (b.kind) {
    case 'KeysUnsampled':
      return;
    case 'KeysSampled':
      w.key(b.ek);
      writeDk(w, b.dk);
      writeEncoder(w, b.sendingHdr);
      return;
    case 'HeaderSent':
      writeDk(w, b.dk);
      writeEncoder(w, b.sendingEk);
      writeDecoder(w, b.receivingCt1);
      return;
    case 'Ct1Received':
      writeDk(w, b.dk);
      w.key(b.ct1);
      writeEncoder(w, b.sendingEk);
      return;
    case 'EkSentCt1Received':
      writeDk(w, b.dk);
      w.key(b.ct1);
      writeDecoder(w, b.receivingCt2);
      return;
    case 'NoHeaderReceived':
      writeDecoder(w, b.receivingHdr);
      return;
    case 'HeaderReceived':
      w.key(b.hdr);
      writeDecoder(w, b.receivingEk);
      return;
    case 'Ct1Sampled':
      w.key(b.hdr);
      w.key(b.es);
      w.key(b.ct1);
      writeEncoder(w, b.sendingCt1);
      writeDecoder(w, b.receivingEk);
      return;
    case 'EkReceivedCt1Sampled':
      w.key(b.es);
      w.key(b.ek);
      w.key(b.ct1);
      writeEncoder(w, b.sendingCt1);
      return;
    case 'Ct1Acknowledged':
      w.key(b.hdr);
      w.key(b.es);
      w.key(b.ct1);
      writeDecoder(w, b.receivingEk);
      return;
    case 'Ct2Sampled':
      writeEncoder(w, b.sendingCt2);
      return;
  }
}

function writeDir(w: Writer, d: ChainDirection): void {
  w.u32(d.ctr);
  w.u8(d.next.length === 0 ? 0 : 1);
  if (d.next.length !== 0) w.key(d.next);
  w.u16(d.history.length);
  for (const h of d.history) {
    w.u32(h.index);
    w.key(h.key);
  }
}

export function writeSpqr(w: Writer, s: SpqrState): void {
  w.u8(s.braid === undefined ? 0 : 1);
  if (s.braid !== undefined) writeBraid(w, s.braid);
  const c = s.chain;
  w.u8(c.initiator ? 1 : 0);
  writeEpoch(w, c.currentEpoch);
  writeEpoch(w, c.sendEpoch);
  w.u8(c.links.length);
  for (const l of c.links) {
    writeDir(w, l.send);
    writeDir(w, l.recv);
  }
  w.u8(c.nextRoot.length === 0 ? 0 : 1);
  if (c.nextRoot.length !== 0) w.key(c.nextRoot);
  writeEpoch(w, s.recvEpoch);
}

function readEpoch(r: Reader): number {
  const epoch = r.u32() * TWO_POW_32 + r.u32();
  if (epoch > Number.MAX_SAFE_INTEGER) throw bad('SPQR epoch out of range');
  return epoch;
}

function readEncoder(r: Reader, payload: number): Encoder {
  return { payload: r.bytes(payload), next: r.u32() };
}

function readDecoder(r: Reader, length: number): Decoder {
  const count = r.u16();
  if (count > length / CHUNK_BYTES) throw bad('SPQR decoder holds too many chunks');
  const chunks = [];
  let last = -1;
  for (let i = 0; i < count; i++) {
    const index = r.u16();
    if (index <= last) throw bad('SPQR decoder chunks out of order');
    last = index;
    chunks.push({ index, data: r.bytes(CHUNK_BYTES) });
  }
  return { length, chunks };
}

function readDk(r: Reader, version: number): Uint8Array {
  if (version === VERSION_BARE_DK) return r.bytes(DK);
  const length = DK_FORMS[r.u8()];
  if (length === undefined) throw bad('unknown SPQR decapsulation key form');
  return r.bytes(length);
}

function readBraid(r: Reader, version: number): BraidState {
  const kind = BRAID_KINDS[r.u8()];
  if (kind === undefined) throw bad('unknown SPQR braid state');
  const epoch = readEpoch(r);
  if (epoch === 0) throw bad('SPQR braid epoch 0');
  const auth: Authenticator = { rootKey: r.key(), macKey: r.key() };
  const base = { epoch, auth };
  switch (kind) {
    case 'KeysUnsampled':
      return { kind, ...base };
    case 'KeysSampled':
      return {
        kind,
        ...base,
        ek: r.bytes(EK),
        dk: readDk(r, version),
        sendingHdr: readEncoder(r, HDR_PAYLOAD),
      };
    case 'HeaderSent':
      return {
        kind,
        ...base,
        dk: readDk(r, version),
        sendingEk: readEncoder(r, EK),
        receivingCt1: readDecoder(r, CT1),
      };
    case 'Ct1Received':
      return {
        kind,
        ...base,
        dk: readDk(r, version),
        ct1: r.bytes(CT1),
        sendingEk: readEncoder(r, EK),
      };
    case 'EkSentCt1Received':
      return {
        kind,
        ...base,
        dk: readDk(r, version),
        ct1: r.bytes(CT1),
        receivingCt2: readDecoder(r, CT2_PAYLOAD),
      };
    case 'NoHeaderReceived':
      return { kind, ...base, receivingHdr: readDecoder(r, HDR_PAYLOAD) };
    case 'HeaderReceived':
      return { kind, ...base, hdr: r.bytes(HDR), receivingEk: readDecoder(r, EK) };
    case 'Ct1Sampled':
      return {
        kind,
        ...base,
        hdr: r.bytes(HDR),
        es: r.bytes(ES),
        ct1: r.bytes(CT1),
        sendingCt1: readEncoder(r, CT1),
        receivingEk: readDecoder(r, EK),
      };
    case 'EkReceivedCt1Sampled':
      return {
        kind,
        ...base,
        es: r.bytes(ES),
        ek: r.bytes(EK),
        ct1: r.bytes(CT1),
        sendingCt1: readEncoder(r, CT1),
      };
    case 'Ct1Acknowledged':
      return {
        kind,
        ...base,
        hdr: r.bytes(HDR),
        es: r.bytes(ES),
        ct1: r.bytes(CT1),
        receivingEk: readDecoder(r, EK),
      };
    case 'Ct2Sampled':
      return { kind, ...base, sendingCt2: readEncoder(r, CT2_PAYLOAD) };
  }
}

function readDir(r: Reader): ChainDirection {
  const ctr = r.u32();
  const next = r.flag() ? r.key() : new Uint8Array(0);
  const history = Array.from({ length: r.count(SPQR_HISTORY_TRIM, true) }, () => ({
    index: r.u32(),
    key: r.key(),
  }));
  return { ctr, next, history };
}

/** The SPQR state of record format `version` (2 or 3). */
export function readSpqr(r: Reader, version: number): SpqrState {
  const braid = r.flag() ? readBraid(r, version) : undefined;
  const initiator = r.flag();
  const currentEpoch = readEpoch(r);
  const sendEpoch = readEpoch(r);
  const linkCount = r.count(SPQR_MAX_CHAIN_LINKS, false);
  if (linkCount === 0 || linkCount > currentEpoch + 1 || sendEpoch > currentEpoch)
    throw bad('SPQR chain links do not match its epochs');
  const links = Array.from({ length: linkCount }, () => ({ send: readDir(r), recv: readDir(r) }));
  const nextRoot = r.flag() ? r.key() : new Uint8Array(0);
  const chain: Chain = { initiator, currentEpoch, sendEpoch, links, nextRoot };
  return { braid, chain, recvEpoch: readEpoch(r) };
}

/** Version 1's SPQR-lite state, as a braid-less state on the same epoch-0 chain. */
export function readSpqrV1(r: Reader): SpqrState {
  const sendSeed = r.key();
  const sendIndex = r.u32();
  const recvSeed = r.key();
  const recvIndex = r.u32();
  const history = Array.from({ length: r.count(SPQR_MAX_OOO_KEYS, true) }, () => ({
    index: r.u32(),
    key: r.key(),
  }));
  const chain: Chain = {
    initiator: false,
    currentEpoch: 0,
    sendEpoch: 0,
    links: [
      {
        send: { ctr: sendIndex, next: sendSeed, history: [] },
        recv: { ctr: recvIndex, next: recvSeed, history },
      },
    ],
    nextRoot: new Uint8Array(0),
  };
  return { braid: undefined, chain, recvEpoch: recvIndex > 0 ? 1 : 0 };
}
