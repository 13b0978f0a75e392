/**
 * Attachment encryption and decryption throughput (MB/s) on both primitive backends, against
 * `openssl enc -aes-256-ctr` plus `openssl dgst -hmac` over the same bytes (the ceiling: the
 * same cipher and MAC in C, with no JavaScript), and the sender's peak RSS growth while it
 * encrypts and uploads a 100 MB file to a relay (a child process, so nothing else is counted).
 * A report, not an ops/s race: `npm run bench -- attachments` (small in `--quick` runs).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AttachmentDecryptor, AttachmentEncryptor, blobLength } from '@parley/client';
import type { Primitives } from '@parley/primitives';
import { createNodePrimitives } from '@parley/primitives-node';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { createMemoryStorage, createRelay, openDiskBlobStore } from '@parley/relay';

const MB = 1024 * 1024;
/** The chunk size a file is read in by the CLI (`FILE_READ_CHUNK_BYTES`). */
const READ_CHUNK = 256 * 1024;
/** The range a download fetches at a time (the client's `ATTACHMENT_CHUNK_BYTES`). */
const ATTACHMENT_CHUNK_BYTES = 1024 * 1024;

/**
 * Encrypts `data` as the CLI reads a file (`READ_CHUNK` at a time) into one blob-sized buffer, as
 * an upload copies into its chunk buffer, then decrypts that blob as a download gets it
 * (`ATTACHMENT_CHUNK_BYTES` at a time); MB/s of plaintext each way.
 */
function throughput(p: Primitives, data: Uint8Array): { encrypt: number; decrypt: number } {
  const key = p.randomBytes(64);
  const blob = new Uint8Array(blobLength(data.length));
  let t = performance.now();
  const enc = new AttachmentEncryptor(p, key, data.length);
  let at = 0;
  for (let i = 0; i < data.length; i += READ_CHUNK) {
    const part = enc.update(data.subarray(i, i + READ_CHUNK));
    blob.set(part, at);
    at += part.length;
  }
  const { tail, digests } = enc.final();
  blob.set(tail, at);
  const encryptS = (performance.now() - t) / 1000;
  t = performance.now();
  const dec = new AttachmentDecryptor(p, key, data.length, digests);
  for (let i = 0; i < blob.length; i += ATTACHMENT_CHUNK_BYTES)
    dec.update(blob.subarray(i, i + ATTACHMENT_CHUNK_BYTES));
  dec.final();
  const decryptS = (performance.now() - t) / 1000;
  const mb = data.length / MB;
  return { encrypt: mb / encryptS, decrypt: mb / decryptS };
}

function opensslRate(file: string, size: number): number | undefined {
  const key = '00'.repeat(32);
  const iv = '00'.repeat(16);
  try {
    const t = performance.now();
    execFileSync('openssl', [
      'enc',
      '-aes-256-ctr',
      '-K',
      key,
      '-iv',
      iv,
      '-in',
      file,
      '-out',
      '/dev/null',
    ]);
    execFileSync('openssl', ['dgst', '-sha256', '-hmac', key, file], { stdio: 'ignore' });
    return size / MB / ((performance.now() - t) / 1000);
  } catch {
    return undefined;
  }
}

/** Peak RSS growth of a child process that uploads a `size`-byte file; MB. */
async function uploadRss(
  size: number,
): Promise<{ baselineMb: number; peakGrowthMb: number; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-att-'));
  const file = join(dir, 'file.bin');
  // Written in pieces so the parent does not hold it either.
  writeFileSync(file, new Uint8Array(0));
  const piece = new Uint8Array(MB).fill(7);
  for (let i = 0; i < size / MB; i++) writeFileSync(file, piece, { flag: 'a' });
  const app = await createRelay({
    storage: createMemoryStorage(),
    blobs: await openDiskBlobStore(join(dir, 'blobs')),
    rateLimits: false,
    sweepIntervalMs: false,
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const worker = fileURLToPath(new URL('./attachment-rss-worker.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=parley-source', worker, base, file],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    await new Promise((resolve) => child.on('exit', resolve));
    return JSON.parse(out) as { baselineMb: number; peakGrowthMb: number; seconds: number };
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function attachmentsReport(options: { quick: boolean; json: boolean }): Promise<void> {
  const size = (options.quick ? 4 : 64) * MB;
  const data = createNodePrimitives().randomBytes(size);
  const rows: Record<string, number | undefined> = {};
  for (const [name, p] of [
    ['node', createNodePrimitives()],
    ['noble', createNoblePrimitives()],
  ] as const) {
    throughput(p, data.subarray(0, 2 * MB)); // warm-up: compile the hot paths first
    const r = throughput(p, data);
    rows[`${name} encrypt MB/s`] = r.encrypt;
    rows[`${name} decrypt MB/s`] = r.decrypt;
  }
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-openssl-'));
  try {
    writeFileSync(join(dir, 'f'), data);
    rows['openssl enc+hmac MB/s'] = opensslRate(join(dir, 'f'), size);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const upload = await uploadRss((options.quick ? 16 : 100) * MB);
  rows[`upload ${options.quick ? 16 : 100} MB: sender RSS baseline MB`] = upload.baselineMb;
  rows[`upload ${options.quick ? 16 : 100} MB: sender peak RSS growth MB`] = upload.peakGrowthMb;
  rows[`upload ${options.quick ? 16 : 100} MB: seconds`] = upload.seconds;
  if (options.json) {
    console.log(JSON.stringify({ attachments: { bytes: size, ...rows } }));
    return;
  }
  console.log(`attachments (${size / MB} MB of data; upload through a relay on loopback):`);
  for (const [k, v] of Object.entries(rows))
    console.log(`  ${k.padEnd(44)} ${v === undefined ? 'n/a' : v.toFixed(1).padStart(8)}`);
}
