/** Fixed-layout binary writer and reader for the stored record formats (big-endian). */
import { ProtocolError } from './errors.js';
import { asPublicKey, type PublicKey } from './keys.js';

export const KEY = 32;
export const U32 = 4;
const TWO_POW_32 = 0x1_0000_0000;

export function invalidRecord(kind: string, what: string): ProtocolError {
  return new ProtocolError('INVALID_RECORD', `${kind}: ${what}`);
}

/** Writes into a buffer of exactly the size computed beforehand. */
export class Writer {
  private offset = 0;
  readonly out: Uint8Array;
  private readonly view: DataView;

  constructor(size: number) {
    this.out = new Uint8Array(size);
    this.view = new DataView(this.out.buffer);
  }
  u8(v: number): void {
    this.out[this.offset++] = v;
  }
  u16(v: number): void {
    this.view.setUint16(this.offset, v);
    this.offset += 2;
  }
  u32(v: number): void {
    this.view.setUint32(this.offset, v);
    this.offset += U32;
  }
  /** A millisecond timestamp as two u32 (high, low). */
  time(ms: number): void {
    this.u32(Math.floor(ms / TWO_POW_32));
    this.u32(ms % TWO_POW_32);
  }
  key(b: Uint8Array): void {
    this.out.set(b, this.offset);
    this.offset += b.length;
  }
  /** The output, after checking that the size computed beforehand was filled exactly. */
  finish(): Uint8Array {
    if (this.offset !== this.out.length) throw new ProtocolError('MISUSE', 'record size mismatch');
    return this.out;
  }
}

/** Reads a record; every failure is `INVALID_RECORD` naming `kind`, never the bytes. */
export class Reader {
  private offset = 0;
  private readonly view: DataView;

  constructor(
    private readonly input: Uint8Array,
    private readonly kind: string,
  ) {
    this.view = new DataView(input.buffer, input.byteOffset, input.length);
  }
  private need(n: number): number {
    const at = this.offset;
    if (at + n > this.input.length) throw invalidRecord(this.kind, 'truncated');
    this.offset += n;
    return at;
  }
  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  flag(): boolean {
    const v = this.u8();
    if (v > 1) throw invalidRecord(this.kind, 'bad flag');
    return v === 1;
  }
  u16(): number {
    return this.view.getUint16(this.need(2));
  }
  u32(): number {
    return this.view.getUint32(this.need(U32));
  }
  time(): number {
    const ms = this.u32() * TWO_POW_32 + this.u32();
    if (ms > Number.MAX_SAFE_INTEGER) throw invalidRecord(this.kind, 'timestamp out of range');
    return ms;
  }
  bytes(n: number): Uint8Array {
    const at = this.need(n);
    return this.input.slice(at, at + n);
  }
  key(): Uint8Array {
    return this.bytes(KEY);
  }
  publicKey(): PublicKey {
    return asPublicKey(this.key());
  }
  count(max: number, wide: boolean): number {
    const n = wide ? this.u16() : this.u8();
    if (n > max) throw invalidRecord(this.kind, 'a list exceeds its limit');
    return n;
  }
  /** Checks the format version byte. */
  version(expected: number): void {
    if (this.input.length === 0 || this.u8() !== expected) {
      throw invalidRecord(this.kind, 'unknown format version');
    }
  }
  /** Reads the format version byte, which must be one of `accepted`. */
  versionIn(accepted: readonly number[]): number {
    const v = this.input.length === 0 ? undefined : this.u8();
    if (v === undefined || !accepted.includes(v)) {
      throw invalidRecord(this.kind, 'unknown format version');
    }
    return v;
  }
  end(): void {
    if (this.offset !== this.input.length) throw invalidRecord(this.kind, 'trailing bytes');
  }
}
