/**
 * Frees the memory behind a buffer node:crypto returned, once its bytes were copied out. Every
 * `Cipher.update` returns a fresh buffer; V8 frees such buffers only at a young-generation
 * collection, which it starts when about 32 MB of them are pending (measured on Node 20 and 24,
 * whatever the piece size or semi-space flags), so 100 MB through a cipher holds up to ~32 MB of
 * dead buffers as resident memory. Detaching the buffer frees it at once:
 * `ArrayBuffer.prototype.transfer(0)` where the runtime has it (Node 21+); on Node 20, posting it
 * on a closed `MessagePort`, which detaches it (the structured clone runs before the port is
 * checked, as the HTML standard requires) and drops the message that holds its memory. Until that
 * port has finished closing, buffers are left to the collector.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';

type Transfer = (this: ArrayBuffer, length: number) => ArrayBuffer;
const transfer = (ArrayBuffer.prototype as { transfer?: Transfer }).transfer;

let closed: MessagePort | undefined;
let closing = false;

/** A port that has finished closing, or undefined while it is being closed. */
function closedPort(): MessagePort | undefined {
  if (closed !== undefined || closing) return closed;
  closing = true;
  const { port1 } = new MessageChannel();
  port1.once('close', () => {
    closed = port1;
  });
  port1.close();
  return undefined;
}

/** Frees `bytes`' memory when it spans its whole `ArrayBuffer`; `bytes` is empty afterwards. */
export function releaseBuffer(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (
    !(buffer instanceof ArrayBuffer) ||
    bytes.byteOffset !== 0 ||
    bytes.byteLength !== buffer.byteLength ||
    buffer.byteLength === 0
  )
    return;
  if (transfer !== undefined) transfer.call(buffer, 0);
  else closedPort()?.postMessage(undefined, [buffer]);
}
