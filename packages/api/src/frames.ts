/**
 * Delivery protocol 2: the binary WebSocket frames on `GET /v1/websocket`. Every frame is one
 * binary WebSocket message whose first byte is its kind; integers are big-endian; there is no
 * JSON and no base64 on the hot path (sends, pushes, results, acknowledgements).
 *
 * - The client's first frame is `auth` (protocol version, account id, device id, the 32-byte
 *   secret); the relay answers `ready` with the most envelopes it keeps unacknowledged.
 * - The relay pushes `push` frames, each carrying several envelopes in queue order. Every
 *   envelope has its **sequence number**: per device, strictly increasing in the order the
 *   relay committed the envelopes, with gaps allowed. The client acknowledges cumulatively: an
 *   `ack` of `S` says "everything pushed to me up to and including S is stored", and the relay
 *   deletes that range. An ack beyond what this connection was pushed is a protocol error; an
 *   ack at or below an earlier one changes nothing. At most `maxInFlight` envelopes are pushed
 *   and not yet acknowledged.
 * - `queue-empty` says everything queued when the connection opened has been pushed;
 *   `keys-low` asks for more one-time prekeys.
 * - A client may send messages over the socket: a `send` frame carries several sends, each with
 *   a client-chosen request id and the same content as `POST /v1/messages`; the relay answers
 *   with `results` frames (several per frame), each result once that send is durable, or with a
 *   registry error code exactly as the HTTP route would.
 * - `ping` is answered by `pong`; heartbeats are WebSocket pings from the relay.
 *
 * A frame that is not binary, is truncated, has trailing bytes, an unknown kind, a field out of
 * its bound, or comes out of order closes the socket with `WS_CLOSE.BAD_FRAME` and a reason;
 * nothing it carried is stored or deleted. This module is the codec; it is isomorphic.
 */
import { utf8Decode, utf8Encode } from '@parley/bytes';
import {
  DEVICE_SECRET_BYTES,
  MAX_CIPHERTEXT_BYTES,
  MAX_CLIENT_MESSAGE_ID_LENGTH,
  MAX_DESTINATIONS_PER_SEND,
  MAX_DEVICE_ID,
  MAX_DIRECT_MESSAGE_TYPE,
  MAX_ENVELOPES_PER_PUSH,
  MAX_ID_LENGTH,
  MAX_REGISTRATION_ID,
  MAX_RESULTS_PER_FRAME,
  MAX_SENDS_PER_FRAME,
} from './limits.js';

/** The delivery protocol version this codec speaks (sent in `auth` and `ready`). */
export const DELIVERY_PROTOCOL_VERSION = 2;

/** The first byte of every frame. */
export const FRAME = {
  AUTH: 0x01,
  ACK: 0x02,
  SEND: 0x03,
  PING: 0x04,
  /** SEND whose sends each carry an expiry (disappearing messages); same result frames. */
  SEND_EXPIRING: 0x05,
  READY: 0x81,
  PUSH: 0x82,
  QUEUE_EMPTY: 0x83,
  KEYS_LOW: 0x84,
  PONG: 0x85,
  RESULTS: 0x86,
} as const;

/**
 * What each frame carries, for the generated documentation (`README.md`): its first byte, who
 * sends it, and its layout after that byte. `id` and `str` are a 1-byte length and that many
 * bytes (ids: `[A-Za-z0-9_-]`; strings: UTF-8); integers are big-endian; `u64` values are
 * JavaScript-safe integers.
 */
export const FRAME_LAYOUTS: Readonly<
  Record<keyof typeof FRAME, { readonly from: 'client' | 'relay'; readonly layout: string }>
> = {
  AUTH: {
    from: 'client',
    layout: 'u8 version (2), id accountId, u8 deviceId, 32 bytes secret. First frame; only once.',
  },
  ACK: {
    from: 'client',
    layout:
      'u64 seq: everything pushed on this connection up to seq is stored. Beyond what was pushed: closed; at or below an earlier ack: ignored.',
  },
  SEND: {
    from: 'client',
    layout: `u16 count (1..${String(MAX_SENDS_PER_FRAME)}), then per send: u32 requestId, str clientMessageId (≤ ${String(MAX_CLIENT_MESSAGE_ID_LENGTH)} characters), u8 count (1..${String(MAX_DESTINATIONS_PER_SEND)}), then per device: id accountId, u8 deviceId, u16 registrationId, u8 type (1..${String(MAX_DIRECT_MESSAGE_TYPE)}; group types only through the group routes), u32 length (≤ ${String(MAX_CIPHERTEXT_BYTES)}), content.`,
  },
  SEND_EXPIRING: {
    from: 'client',
    layout:
      "as SEND, with u64 expiresAt (ms since the epoch; 0: none) after each requestId: the relay delivers none of that send's ciphertexts after it (as `expiresAt` of POST /v1/messages).",
  },
  PING: { from: 'client', layout: 'nothing; answered by PONG.' },
  READY: { from: 'relay', layout: 'u8 version (2), u16 maxInFlight.' },
  PUSH: {
    from: 'relay',
    layout: `u16 count (1..${String(MAX_ENVELOPES_PER_PUSH)}), then per envelope in queue order: u64 seq, id guid, id senderAccountId, u8 senderDeviceId (both empty, length 0 and device 0, for a sealed sender envelope), str clientMessageId, u8 type, u64 serverTimestamp (ms), u32 length, content.`,
  },
  QUEUE_EMPTY: {
    from: 'relay',
    layout: 'nothing: everything queued when the connection opened was pushed.',
  },
  KEYS_LOW: { from: 'relay', layout: 'nothing: upload more one-time prekeys.' },
  PONG: { from: 'relay', layout: 'nothing.' },
  RESULTS: {
    from: 'relay',
    layout: `u16 count (1..${String(MAX_RESULTS_PER_FRAME)}), then per send: u32 requestId, u8 status (0 stored, 1 duplicate: u64 serverTimestamp; 2 error: id code, u16-length UTF-8 message, u32-length JSON details or 0).`,
  },
};

/** Status byte of one send result. */
export const RESULT = { STORED: 0, DUPLICATE: 1, ERROR: 2 } as const;

/** Largest request id of a send (echoed back, never interpreted). */
export const MAX_REQUEST_ID = 0xffff_ffff;

/** Largest sequence number: sequence numbers are JavaScript-safe integers. */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** Why a frame was refused; `reason` is short enough for a WebSocket close frame. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly code: 'MALFORMED_FRAME' | 'UNKNOWN_FRAME' | 'FIELD_OUT_OF_RANGE',
    readonly reason: string,
  ) {
    super(reason);
  }
}

// ---------------------------------------------------------------------------------------------
// Frame shapes

export interface AuthFrame {
  readonly kind: 'auth';
  readonly version: number;
  readonly accountId: string;
  readonly deviceId: number;
  readonly secret: Uint8Array;
}
export interface AckFrame {
  readonly kind: 'ack';
  /** Everything pushed on this connection up to and including `seq` is acknowledged. */
  readonly seq: number;
}
export interface WireDestination {
  readonly accountId: string;
  readonly deviceId: number;
  readonly registrationId: number;
  readonly type: number;
  readonly content: Uint8Array;
}
export interface WireSend {
  readonly requestId: number;
  readonly clientMessageId: string;
  readonly destinations: readonly WireDestination[];
  /** A disappearing message's expiry (ms): sent in a `SEND_EXPIRING` frame. */
  readonly expiresAt?: number;
}
export interface SendFrame {
  readonly kind: 'send';
  readonly sends: readonly WireSend[];
}
export interface PingFrame {
  readonly kind: 'ping';
}
/** Frames a client sends. */
export type ClientFrame = AuthFrame | AckFrame | SendFrame | PingFrame;

/** A queued message as pushed to its recipient device. */
export interface PushedEnvelope {
  /** Per-device position in commit order: what the recipient acknowledges (cumulatively). */
  readonly seq: number;
  /** The same id the HTTP fetch gives this message (clients deduplicate by it). */
  readonly guid: string;
  readonly senderAccountId: string;
  readonly senderDeviceId: number;
  readonly clientMessageId: string;
  readonly type: number;
  readonly serverTimestamp: number;
  readonly content: Uint8Array;
}
export interface WireError {
  readonly code: string;
  readonly message: string;
  /** The registry error's details (e.g. DEVICE_MISMATCH's accounts), as JSON text. */
  readonly details?: unknown;
}
export type SendResult =
  | {
      readonly requestId: number;
      readonly status: 'stored' | 'duplicate';
      readonly serverTimestamp: number;
    }
  | { readonly requestId: number; readonly status: 'error'; readonly error: WireError };

export interface ReadyFrame {
  readonly kind: 'ready';
  readonly version: number;
  /** Most envelopes the relay keeps pushed and unacknowledged on this connection. */
  readonly maxInFlight: number;
}
export interface PushFrame {
  readonly kind: 'push';
  readonly envelopes: readonly PushedEnvelope[];
}
export interface ResultsFrame {
  readonly kind: 'results';
  readonly results: readonly SendResult[];
}
/** Frames the relay sends. */
export type ServerFrame =
  | ReadyFrame
  | PushFrame
  | ResultsFrame
  | { readonly kind: 'queue-empty' }
  | { readonly kind: 'keys-low' }
  | { readonly kind: 'pong' };

// ---------------------------------------------------------------------------------------------
// Byte helpers

const ID_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-')
  ID_CHAR[c.charCodeAt(0)] = 1;

const HI = 2 ** 32;

/** UTF-8 byte length of `s` (ASCII-only strings, the usual case, without encoding them). */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return utf8Encode(s).length;
  return s.length;
}

/**
 * Frames up to `SLAB_MAX_FRAME` bytes are views into a shared `SLAB_BYTES` buffer, used once
 * from front to back (never overwritten: a new slab replaces a full one, and a frame keeps its
 * slab alive): a typed array over 64 bytes otherwise costs its own off-heap allocation, and a
 * relay encodes one per push.
 */
const SLAB_BYTES = 64 * 1024;
const SLAB_MAX_FRAME = 4 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabAt = 0;

function allocFrame(size: number): Uint8Array {
  if (size > SLAB_MAX_FRAME) return new Uint8Array(size);
  if (slabAt + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabAt = 0;
  }
  const bytes = new Uint8Array(slab, slabAt, size);
  // Aligned to 8 bytes, like Node's Buffer pool.
  slabAt = (slabAt + size + 7) & ~7;
  return bytes;
}

class Out {
  readonly bytes: Uint8Array;
  at = 0;
  constructor(size: number) {
    this.bytes = allocFrame(size);
  }
  u8(v: number): void {
    this.bytes[this.at++] = v;
  }
  u16(v: number): void {
    const b = this.bytes;
    b[this.at] = v >>> 8;
    b[this.at + 1] = v;
    this.at += 2;
  }
  u32(v: number): void {
    const b = this.bytes;
    b[this.at] = v >>> 24;
    b[this.at + 1] = v >>> 16;
    b[this.at + 2] = v >>> 8;
    b[this.at + 3] = v;
    this.at += 4;
  }
  u64(v: number): void {
    this.u32(Math.floor(v / HI));
    this.u32(v >>> 0);
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.at);
    this.at += b.length;
  }
  /** A length-prefixed (1 byte) string, UTF-8; `len` is its byte length. */
  str8(s: string, len: number): void {
    this.bytes[this.at++] = len;
    this.#text(s, len);
  }
  /** A length-prefixed (2 bytes) UTF-8 string. */
  str16(s: string, len: number): void {
    this.u16(len);
    this.#text(s, len);
  }
  #text(s: string, len: number): void {
    if (len === s.length) {
      for (let i = 0; i < len; i++) this.bytes[this.at + i] = s.charCodeAt(i);
    } else this.bytes.set(utf8Encode(s), this.at);
    this.at += len;
  }
}

/** A string of ASCII bytes (at most 65,535 of them: one call, no intermediate strings). */
function ascii(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[]);
}

class In {
  at = 1;
  constructor(readonly bytes: Uint8Array) {}
  #need(n: number): void {
    if (this.at + n > this.bytes.length) throw new FrameError('MALFORMED_FRAME', 'truncated frame');
  }
  u8(): number {
    this.#need(1);
    return this.bytes[this.at++] ?? 0;
  }
  u16(): number {
    this.#need(2);
    const b = this.bytes;
    const v = ((b[this.at] ?? 0) << 8) | (b[this.at + 1] ?? 0);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.#need(4);
    const v = this.#u32At(this.at);
    this.at += 4;
    return v;
  }
  u64(): number {
    this.#need(8);
    const hi = this.#u32At(this.at);
    const lo = this.#u32At(this.at + 4);
    this.at += 8;
    if (hi >= 0x20_0000) throw new FrameError('FIELD_OUT_OF_RANGE', 'integer too large');
    return hi * HI + lo;
  }
  #u32At(i: number): number {
    const b = this.bytes;
    return (
      (b[i] ?? 0) * 0x100_0000 +
      (((b[i + 1] ?? 0) << 16) | ((b[i + 2] ?? 0) << 8) | (b[i + 3] ?? 0))
    );
  }
  /** A view of the next `n` bytes (no copy). */
  raw(n: number): Uint8Array {
    this.#need(n);
    const v = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
  /** A relay id: 1..MAX_ID_LENGTH characters of `[A-Za-z0-9_-]`. */
  id(): string {
    const n = this.u8();
    if (n === 0 || n > MAX_ID_LENGTH) throw new FrameError('FIELD_OUT_OF_RANGE', 'bad id length');
    const b = this.raw(n);
    for (let i = 0; i < n; i++) {
      const c = b[i] ?? 0;
      if (c >= 128 || ID_CHAR[c] !== 1) throw new FrameError('FIELD_OUT_OF_RANGE', 'bad id');
    }
    return ascii(b);
  }
  /** A UTF-8 string with a 1-byte length, at most `maxChars` characters and at least one. */
  str8(maxChars: number): string {
    const n = this.u8();
    if (n === 0) throw new FrameError('FIELD_OUT_OF_RANGE', 'empty string');
    return this.#text(this.raw(n), maxChars);
  }
  str16(): string {
    return this.#text(this.raw(this.u16()), Infinity);
  }
  #text(b: Uint8Array, maxChars: number): string {
    let isAscii = true;
    for (let i = 0; i < b.length; i++)
      if ((b[i] ?? 0) >= 0x80) {
        isAscii = false;
        break;
      }
    let s: string;
    if (isAscii) {
      s = ascii(b);
    } else {
      try {
        s = utf8Decode(b);
      } catch {
        throw new FrameError('MALFORMED_FRAME', 'invalid UTF-8');
      }
    }
    if (s.length > maxChars) throw new FrameError('FIELD_OUT_OF_RANGE', 'string too long');
    return s;
  }
  /** A count in `1..max`. */
  count(bytes: 1 | 2, max: number, what: string): number {
    const n = bytes === 1 ? this.u8() : this.u16();
    if (n === 0 || n > max) throw new FrameError('FIELD_OUT_OF_RANGE', `bad ${what} count`);
    return n;
  }
  /** An envelope's sender: a relay id and device, or none (length 0, device 0: sealed). */
  sender(): { senderAccountId: string; senderDeviceId: number } {
    if (this.bytes[this.at] === 0) {
      this.at += 1;
      if (this.u8() !== 0) throw new FrameError('FIELD_OUT_OF_RANGE', 'bad device id');
      return { senderAccountId: '', senderDeviceId: 0 };
    }
    const senderAccountId = this.id();
    return { senderAccountId, senderDeviceId: this.deviceId() };
  }
  deviceId(): number {
    const d = this.u8();
    if (d < 1 || d > MAX_DEVICE_ID) throw new FrameError('FIELD_OUT_OF_RANGE', 'bad device id');
    return d;
  }
  end(): void {
    if (this.at !== this.bytes.length) throw new FrameError('MALFORMED_FRAME', 'trailing bytes');
  }
}

function empty(kind: number): Uint8Array {
  return Uint8Array.of(kind);
}

function checkId(s: string): number {
  if (s.length === 0 || s.length > MAX_ID_LENGTH) throw new RangeError('bad id length');
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || ID_CHAR[c] !== 1) throw new RangeError('bad id character');
  }
  return s.length;
}

// ---------------------------------------------------------------------------------------------
// Client frames

export function encodeAuth(accountId: string, deviceId: number, secret: Uint8Array): Uint8Array {
  if (secret.length !== DEVICE_SECRET_BYTES) throw new RangeError('bad secret length');
  const idLen = checkId(accountId);
  const o = new Out(1 + 1 + 1 + idLen + 1 + DEVICE_SECRET_BYTES);
  o.u8(FRAME.AUTH);
  o.u8(DELIVERY_PROTOCOL_VERSION);
  o.str8(accountId, idLen);
  o.u8(deviceId);
  o.raw(secret);
  return o.bytes;
}

export function encodeAck(seq: number): Uint8Array {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError('bad seq');
  const o = new Out(9);
  o.u8(FRAME.ACK);
  o.u64(seq);
  return o.bytes;
}

export function encodePing(): Uint8Array {
  return empty(FRAME.PING);
}

/**
 * One `send` frame with `sends` (at most `MAX_SENDS_PER_FRAME`); `SEND_EXPIRING` when any of
 * them has an expiry.
 */
export function encodeSends(sends: readonly WireSend[]): Uint8Array {
  if (sends.length === 0 || sends.length > MAX_SENDS_PER_FRAME) throw new RangeError('bad count');
  const expiring = sends.some((s) => s.expiresAt !== undefined);
  let size = 3;
  const lengths: number[] = [];
  for (const s of sends) {
    const cmid = utf8Length(s.clientMessageId);
    lengths.push(cmid);
    size += 4 + (expiring ? 8 : 0) + 1 + cmid + 1;
    for (const d of s.destinations) {
      const a = checkId(d.accountId);
      lengths.push(a);
      size += 1 + a + 1 + 2 + 1 + 4 + d.content.length;
    }
  }
  const o = new Out(size);
  o.u8(expiring ? FRAME.SEND_EXPIRING : FRAME.SEND);
  o.u16(sends.length);
  let l = 0;
  for (const s of sends) {
    o.u32(s.requestId);
    if (expiring) o.u64(s.expiresAt ?? 0);
    o.str8(s.clientMessageId, lengths[l++] ?? 0);
    o.u8(s.destinations.length);
    for (const d of s.destinations) {
      o.str8(d.accountId, lengths[l++] ?? 0);
      o.u8(d.deviceId);
      o.u16(d.registrationId);
      o.u8(d.type);
      o.u32(d.content.length);
      o.raw(d.content);
    }
  }
  return o.bytes;
}

/**
 * Decodes a frame from a client. Throws `FrameError` for anything malformed; contents are views
 * into `bytes` (no copies).
 */
export function decodeClientFrame(bytes: Uint8Array): ClientFrame {
  if (bytes.length === 0) throw new FrameError('MALFORMED_FRAME', 'empty frame');
  const r = new In(bytes);
  let frame: ClientFrame;
  switch (bytes[0]) {
    case FRAME.AUTH: {
      const version = r.u8();
      const accountId = r.id();
      const deviceId = r.deviceId();
      frame = { kind: 'auth', version, accountId, deviceId, secret: r.raw(DEVICE_SECRET_BYTES) };
      break;
    }
    case FRAME.ACK:
      frame = { kind: 'ack', seq: r.u64() };
      break;
    case FRAME.PING:
      frame = { kind: 'ping' };
      break;
    case FRAME.SEND:
    case FRAME.SEND_EXPIRING: {
      const expiring = bytes[0] === FRAME.SEND_EXPIRING;
      const n = r.count(2, MAX_SENDS_PER_FRAME, 'send');
      const sends: WireSend[] = [];
      for (let i = 0; i < n; i++) {
        const requestId = r.u32();
        const expiresAt = expiring ? r.u64() : 0;
        const clientMessageId = r.str8(MAX_CLIENT_MESSAGE_ID_LENGTH);
        const k = r.count(1, MAX_DESTINATIONS_PER_SEND, 'destination');
        const destinations: WireDestination[] = [];
        for (let j = 0; j < k; j++) {
          const accountId = r.id();
          const deviceId = r.deviceId();
          const registrationId = r.u16();
          if (registrationId > MAX_REGISTRATION_ID)
            throw new FrameError('FIELD_OUT_OF_RANGE', 'bad registration id');
          const type = r.u8();
          // Group envelope types (32 up) come only from the group routes.
          if (type < 1 || type > MAX_DIRECT_MESSAGE_TYPE)
            throw new FrameError('FIELD_OUT_OF_RANGE', 'not a 1:1 message type');
          const length = r.u32();
          if (length > MAX_CIPHERTEXT_BYTES)
            throw new FrameError('FIELD_OUT_OF_RANGE', 'content too large');
          destinations.push({ accountId, deviceId, registrationId, type, content: r.raw(length) });
        }
        sends.push({
          requestId,
          clientMessageId,
          destinations,
          ...(expiresAt > 0 && { expiresAt }),
        });
      }
      frame = { kind: 'send', sends };
      break;
    }
    default:
      throw new FrameError('UNKNOWN_FRAME', 'unknown frame kind');
  }
  r.end();
  return frame;
}

// ---------------------------------------------------------------------------------------------
// Server frames

export function encodeReady(maxInFlight: number): Uint8Array {
  const o = new Out(4);
  o.u8(FRAME.READY);
  o.u8(DELIVERY_PROTOCOL_VERSION);
  o.u16(maxInFlight);
  return o.bytes;
}

export const QUEUE_EMPTY_FRAME: Uint8Array = empty(FRAME.QUEUE_EMPTY);
export const KEYS_LOW_FRAME: Uint8Array = empty(FRAME.KEYS_LOW);
export const PONG_FRAME: Uint8Array = empty(FRAME.PONG);

/** Bytes one envelope takes in a `push` frame (ids must be relay ids). */
export function envelopeSize(e: PushedEnvelope): number {
  return (
    8 +
    1 +
    e.guid.length +
    1 +
    e.senderAccountId.length +
    1 +
    1 +
    utf8Length(e.clientMessageId) +
    1 +
    8 +
    4 +
    e.content.length
  );
}

/** One `push` frame (at most `MAX_ENVELOPES_PER_PUSH` envelopes, in queue order). */
export function encodePush(envelopes: readonly PushedEnvelope[]): Uint8Array {
  if (envelopes.length === 0 || envelopes.length > MAX_ENVELOPES_PER_PUSH)
    throw new RangeError('bad count');
  let size = 3;
  for (const e of envelopes) size += envelopeSize(e);
  const o = new Out(size);
  o.u8(FRAME.PUSH);
  o.u16(envelopes.length);
  for (const e of envelopes) {
    o.u64(e.seq);
    o.str8(e.guid, checkId(e.guid));
    if (e.senderAccountId === '' && e.senderDeviceId === 0) {
      o.u8(0);
    } else {
      o.str8(e.senderAccountId, checkId(e.senderAccountId));
    }
    o.u8(e.senderDeviceId);
    o.str8(e.clientMessageId, utf8Length(e.clientMessageId));
    o.u8(e.type);
    o.u64(e.serverTimestamp);
    o.u32(e.content.length);
    o.raw(e.content);
  }
  return o.bytes;
}

/** One `results` frame (at most `MAX_RESULTS_PER_FRAME`). */
export function encodeResults(results: readonly SendResult[]): Uint8Array {
  if (results.length === 0 || results.length > MAX_RESULTS_PER_FRAME)
    throw new RangeError('bad count');
  let size = 3;
  const texts: [string, number, string, number, string | undefined, number][] = [];
  for (const r of results) {
    size += 5;
    if (r.status === 'error') {
      const details = r.error.details === undefined ? undefined : JSON.stringify(r.error.details);
      const t: (typeof texts)[number] = [
        r.error.code,
        checkId(r.error.code),
        r.error.message,
        utf8Length(r.error.message),
        details,
        details === undefined ? 0 : utf8Length(details),
      ];
      texts.push(t);
      size += 1 + t[1] + 2 + t[3] + 4 + t[5];
    } else size += 8;
  }
  const o = new Out(size);
  o.u8(FRAME.RESULTS);
  o.u16(results.length);
  let t = 0;
  for (const r of results) {
    o.u32(r.requestId);
    if (r.status === 'error') {
      const [code, codeLen, message, messageLen, details, detailsLen] = texts[t++] ?? [];
      o.u8(RESULT.ERROR);
      o.str8(code ?? '', codeLen ?? 0);
      o.str16(message ?? '', messageLen ?? 0);
      o.u32(detailsLen ?? 0);
      if (details !== undefined) o.raw(utf8Encode(details));
    } else {
      o.u8(r.status === 'stored' ? RESULT.STORED : RESULT.DUPLICATE);
      o.u64(r.serverTimestamp);
    }
  }
  return o.bytes;
}

/**
 * Decodes a frame from the relay (the client side). Throws `FrameError` for anything
 * malformed; contents are views into `bytes`.
 */
export function decodeServerFrame(bytes: Uint8Array): ServerFrame {
  if (bytes.length === 0) throw new FrameError('MALFORMED_FRAME', 'empty frame');
  const r = new In(bytes);
  let frame: ServerFrame;
  switch (bytes[0]) {
    case FRAME.READY:
      frame = { kind: 'ready', version: r.u8(), maxInFlight: r.u16() };
      break;
    case FRAME.QUEUE_EMPTY:
      frame = { kind: 'queue-empty' };
      break;
    case FRAME.KEYS_LOW:
      frame = { kind: 'keys-low' };
      break;
    case FRAME.PONG:
      frame = { kind: 'pong' };
      break;
    case FRAME.PUSH: {
      const n = r.count(2, MAX_ENVELOPES_PER_PUSH, 'envelope');
      const envelopes: PushedEnvelope[] = [];
      for (let i = 0; i < n; i++) {
        const seq = r.u64();
        const guid = r.id();
        const { senderAccountId, senderDeviceId } = r.sender();
        const clientMessageId = r.str8(MAX_CLIENT_MESSAGE_ID_LENGTH);
        const type = r.u8();
        const serverTimestamp = r.u64();
        const length = r.u32();
        if (length > MAX_CIPHERTEXT_BYTES)
          throw new FrameError('FIELD_OUT_OF_RANGE', 'content too large');
        const content = r.raw(length);
        envelopes.push({
          seq,
          guid,
          senderAccountId,
          senderDeviceId,
          clientMessageId,
          type,
          serverTimestamp,
          content,
        });
      }
      frame = { kind: 'push', envelopes };
      break;
    }
    case FRAME.RESULTS: {
      const n = r.count(2, MAX_RESULTS_PER_FRAME, 'result');
      const results: SendResult[] = [];
      for (let i = 0; i < n; i++) {
        const requestId = r.u32();
        const status = r.u8();
        if (status === RESULT.STORED || status === RESULT.DUPLICATE) {
          results.push({
            requestId,
            status: status === RESULT.STORED ? 'stored' : 'duplicate',
            serverTimestamp: r.u64(),
          });
        } else if (status === RESULT.ERROR) {
          const code = r.id();
          const message = r.str16();
          const detailsLength = r.u32();
          let details: unknown;
          if (detailsLength > 0) {
            try {
              details = JSON.parse(utf8Decode(r.raw(detailsLength)));
            } catch {
              throw new FrameError('MALFORMED_FRAME', 'bad error details');
            }
          }
          results.push({
            requestId,
            status: 'error',
            error: details === undefined ? { code, message } : { code, message, details },
          });
        } else throw new FrameError('FIELD_OUT_OF_RANGE', 'bad result status');
      }
      frame = { kind: 'results', results };
      break;
    }
    default:
      throw new FrameError('UNKNOWN_FRAME', 'unknown frame kind');
  }
  r.end();
  return frame;
}
