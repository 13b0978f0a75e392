/**
 * A growable output buffer shared by the writers. Outgrown buffers and the final working buffer
 * are zeroed, since writers often serialize key material.
 */
export class ByteSink {
  private buffer = new Uint8Array(64);
  private used = 0;

  /** Number of bytes written so far. */
  get length(): number {
    return this.used;
  }

  private reserve(extra: number): void {
    const needed = this.used + extra;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.used));
    this.buffer.fill(0);
    this.buffer = next;
  }

  /** Appends one byte; the caller guarantees 0 ≤ value ≤ 255. */
  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.used++] = value;
  }

  /** Appends bytes. */
  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.used);
    this.used += data.length;
  }

  /** Returns a copy of everything written, zeroes the working buffer and starts over empty. */
  finish(): Uint8Array {
    const out = this.buffer.slice(0, this.used);
    this.buffer.fill(0, 0, this.used);
    this.used = 0;
    return out;
  }
}
