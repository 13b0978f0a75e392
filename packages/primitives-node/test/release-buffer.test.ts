/**
 * `releaseBuffer` frees node:crypto's output buffers at once (see `release-buffer.ts`): a buffer
 * that is the whole of its ArrayBuffer comes back detached, anything else is left alone, and the
 * AES-CTR stream's own buffers go that way while the caller's output keeps its bytes. Also the
 * two backends' streams against one-shot AES-CTR at random splits.
 */
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { createNodePrimitives } from '@parley/primitives-node';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { releaseBuffer } from '../src/release-buffer.js';

/** Node 20 releases through a port that closes asynchronously: the first call starts that. */
async function ready(): Promise<void> {
  releaseBuffer(new Uint8Array(16));
  await sleep(20);
}

test('a buffer that owns its memory is detached; a view into a larger one is left alone', async () => {
  await ready();
  const own = new Uint8Array(1024 * 1024).fill(1);
  releaseBuffer(own);
  assert.equal(own.byteLength, 0, 'detached');
  assert.equal(own.buffer.byteLength, 0);
  const shared = new Uint8Array(64).fill(2);
  const view = shared.subarray(8, 16);
  releaseBuffer(view);
  assert.equal(view.byteLength, 8, 'a view is kept');
  assert.deepEqual([...shared], new Array<number>(64).fill(2));
  const pooled = Buffer.from('small');
  releaseBuffer(pooled);
  assert.equal(pooled.toString(), 'small', "Node's pooled buffers are kept");
});

test("a node:crypto cipher's output is releasable: the stream's update leaves the output whole", async () => {
  await ready();
  const key = new Uint8Array(32).fill(3);
  const iv = new Uint8Array(16).fill(4);
  const piece = createCipheriv('aes-256-ctr', key, iv).update(new Uint8Array(4096));
  assert.equal(piece.byteOffset, 0, 'update returns a buffer of its own');
  assert.equal(piece.buffer.byteLength, piece.byteLength);
  const p = createNodePrimitives();
  const data = p.randomBytes(300_000);
  const out = new Uint8Array(data.length);
  const stream = p.createAesCtr(key, iv);
  stream.update(data.subarray(0, 100_001), out);
  stream.update(data.subarray(100_001), out.subarray(100_001));
  assert.deepEqual(out, p.aesCtr(key, iv, data));
});

test('64 MB through a stream into one buffer holds no dead buffers meanwhile', async () => {
  await ready();
  const p = createNodePrimitives();
  const stream = p.createAesCtr(new Uint8Array(32).fill(5), new Uint8Array(16));
  const input = new Uint8Array(1024 * 1024);
  const out = new Uint8Array(input.length);
  const before = process.memoryUsage().arrayBuffers;
  let most = 0;
  for (let i = 0; i < 64; i++) {
    stream.update(input, out);
    most = Math.max(most, process.memoryUsage().arrayBuffers - before);
  }
  // Left to the collector, up to ~32 MB of 1 MiB outputs would be pending here.
  assert.ok(most < 8 * 1024 * 1024, `at most ${most} bytes of array buffers more`);
});

test('node and noble streams equal one-shot AES-CTR at random splits, across the counter wrap', () => {
  const node = createNodePrimitives();
  const noble = createNoblePrimitives();
  // A fixed xorshift sequence, so a failure repeats.
  let state = 0x9e3779b9;
  const next = (below: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % below;
  };
  for (let round = 0; round < 100; round++) {
    const key = node.randomBytes(32);
    const iv = new Uint8Array(16).fill(0xff);
    iv[15] = 0xff - next(40);
    const data = node.randomBytes(next(1500));
    const whole = node.aesCtr(key, iv, data);
    for (const p of [node, noble]) {
      const stream = p.createAesCtr(key, iv);
      const out = new Uint8Array(data.length);
      for (let at = 0; at < data.length;) {
        const n = Math.min(next(300), data.length - at);
        stream.update(data.subarray(at, at + n), out.subarray(at));
        at += n;
      }
      assert.deepEqual(out, whole, `${p.backend}, round ${round}`);
    }
  }
});
