// The sender of the attachment memory benchmark, in its own process: registers with the relay
// at argv[2], then encrypts and uploads the file at argv[3] while sampling its RSS; prints
// `{ baselineMb, peakGrowthMb, seconds }`.
import { statSync } from 'node:fs';
import { MemoryBackend, ParleyClient, RelayHttp } from '@parley/client';
import { fileChunks, nodeBinaryFetch } from '@parley/client/node';
import { createNodePrimitives } from '@parley/primitives-node';

const [base, file] = process.argv.slice(2) as [string, string];
const MB = 1024 * 1024;
const client = new ParleyClient({
  backend: new MemoryBackend(),
  primitives: createNodePrimitives(),
  relay: new RelayHttp(base, (url, init) => fetch(url, init)),
  // As the CLI sends files: chunks without fetch's body copy, the file read into one buffer.
  binaryFetch: nodeBinaryFetch(),
});
await client.register(`bench${Date.now() % 1_000_000}`);
// Warm the upload path with a small file, so the baseline includes the code and the sockets.
await client.uploadAttachment({
  size: 4,
  chunks: (async function* () {
    await Promise.resolve();
    yield new Uint8Array(4);
  })(),
  name: 'warm',
  contentType: 'application/octet-stream',
});
globalThis.gc?.();
const baseline = process.memoryUsage.rss();
let peak = baseline;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 10);
const t = performance.now();
await client.uploadAttachment({
  size: statSync(file).size,
  chunks: fileChunks(file),
  name: 'file.bin',
  contentType: 'application/octet-stream',
});
const seconds = (performance.now() - t) / 1000;
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage.rss());
console.log(
  JSON.stringify({ baselineMb: baseline / MB, peakGrowthMb: (peak - baseline) / MB, seconds }),
);
