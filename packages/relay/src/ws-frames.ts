/**
 * Server-to-client WebSocket framing (RFC 6455 section 5.2), for the delivery hot path: the
 * frames a connection sends in one turn of the event loop become one `Buffer` and one socket
 * write, without `ws`'s per-frame header buffer, `writev` chunk list and corking. Frames from the
 * server are never masked; every frame is a whole binary message (FIN set, opcode 2). `ws` still
 * writes control frames (pings, the close handshake) itself, always as whole frames, so the two
 * interleave only at frame boundaries.
 */

/** FIN + opcode 2 (binary). */
const FIN_BINARY = 0x82;
/** Payload lengths up to this fit the 7-bit length; up to `MAX_16` the 16-bit one. */
const MAX_7 = 125;
const MAX_16 = 0xffff;
const HI = 2 ** 32;

/** Header bytes of a frame carrying `n` payload bytes. */
export function frameHeaderSize(n: number): number {
  return n <= MAX_7 ? 2 : n <= MAX_16 ? 4 : 10;
}

/** `payloads` (whose lengths sum to `payloadBytes`) as consecutive binary frames in one buffer. */
export function binaryFrames(payloads: readonly Uint8Array[], payloadBytes: number): Buffer {
  let size = payloadBytes;
  for (const p of payloads) size += frameHeaderSize(p.length);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of payloads) {
    const n = p.length;
    out[at++] = FIN_BINARY;
    if (n <= MAX_7) out[at++] = n;
    else if (n <= MAX_16) {
      out[at++] = 126;
      out.writeUInt16BE(n, at);
      at += 2;
    } else {
      out[at++] = 127;
      out.writeUInt32BE(Math.floor(n / HI), at);
      out.writeUInt32BE(n >>> 0, at + 4);
      at += 8;
    }
    out.set(p, at);
    at += n;
  }
  return out;
}
