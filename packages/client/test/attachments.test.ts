// Attachments through the SDK against the real relay (in process): a file to a contact and to a
// group with one upload, streamed in chunks; a blob altered, truncated or swapped at the relay is
// refused with ATTACHMENT_INVALID; a chunk whose answer was lost is not sent twice.
import { deepStrictEqual, ok, rejects, strictEqual } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { concatBytes, toHex } from '@parley/bytes';
import { createMemoryBlobStore, type BlobStore } from '@parley/relay';
import type { AttachmentPointer } from '../src/content.js';
import type { ClientEvent, ParleyClient } from '../src/client.js';
import { ClientError } from '../src/errors.js';
import type { FetchLike } from '../src/http.js';
import { blobLength } from '../src/attachment-crypto.js';
import { MemoryBackend } from '../src/storage.js';
import { newClient, nodeFetch, primitives, startRelay, type TestRelay } from './harness.js';
import { ParleyClient as Client } from '../src/client.js';
import { RelayHttp } from '../src/http.js';

let relay: TestRelay;
let blobs: BlobStore;
before(async () => {
  blobs = createMemoryBlobStore();
  relay = await startRelay({ blobs });
});
after(async () => {
  await relay.close();
});

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    await Promise.resolve();
    yield bytes.subarray(i, i + size);
  }
}

function fileOf(bytes: Uint8Array, name = 'report.pdf') {
  return {
    size: bytes.length,
    chunks: chunks(bytes, 65_536),
    name,
    contentType: 'application/pdf',
  };
}

async function fetchAll(client: ParleyClient, p: AttachmentPointer): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await client.downloadAttachment(p, (b) => {
    parts.push(b.slice());
  });
  return concatBytes(...parts);
}

function attachmentsOf(events: readonly ClientEvent[]): AttachmentPointer[] {
  return events.flatMap((e) =>
    e.type === 'message' || e.type === 'sent-sync' || e.type === 'group-message'
      ? [...(e.message.attachments ?? [])]
      : [],
  );
}

function invalid(e: unknown): boolean {
  return e instanceof ClientError && e.code === 'ATTACHMENT_INVALID';
}

test('a file goes to a contact and to a group with one upload each; every device checks and decrypts it', async () => {
  const alice = newClient(relay.base);
  const bob = newClient(relay.base);
  const carol = newClient(relay.base);
  await alice.register('attalice');
  await bob.register('attbob');
  await carol.register('attcarol');
  const file = primitives.randomBytes(2_500_000);
  const pointer = await alice.uploadAttachment({
    ...fileOf(file),
    thumbnail: new Uint8Array([1, 2]),
  });
  strictEqual(pointer.size, file.length);
  strictEqual(pointer.sha256, toHex(primitives.hash('sha256', file)));
  strictEqual(pointer.thumbnail, 'AQI=');
  await alice.send('attbob', 'the report', { attachments: [pointer] });
  const got = attachmentsOf(await bob.receive());
  deepStrictEqual(got, [pointer]);
  deepStrictEqual(await fetchAll(bob, got[0] ?? pointer), file);
  deepStrictEqual(alice.history('attbob')[0]?.attachments, [pointer]);

  const before = (await blobs.usage(alice.account?.accountId ?? '', Date.now())).bytes;
  const group = await alice.createGroup('files', ['attbob', 'attcarol']);
  await bob.receive();
  await carol.receive();
  const small = primitives.randomBytes(70_000);
  const p2 = await alice.uploadAttachment(fileOf(small, 'photo.bin'));
  await alice.sendToGroup(group.groupId, 'for everyone', { attachments: [p2] });
  const after = (await blobs.usage(alice.account?.accountId ?? '', Date.now())).bytes;
  strictEqual(after - before, blobLength(small.length), 'one blob for the whole group');
  for (const member of [bob, carol]) {
    const [q] = attachmentsOf(await member.receive());
    ok(q !== undefined);
    deepStrictEqual(await fetchAll(member, q), small);
  }
});

test('a blob altered, truncated or swapped at the relay is refused, whatever changed', async () => {
  const alice = newClient(relay.base);
  await alice.register('tamperalice');
  const file = primitives.randomBytes(1_300_000);
  const pointer = await alice.uploadAttachment(fileOf(file));
  const other = await alice.uploadAttachment(fileOf(primitives.randomBytes(file.length)));
  const meta = await blobs.get(pointer.id);
  ok(meta !== undefined);
  const original = await blobs.read(pointer.id, 0, meta.size);
  const otherBytes = await blobs.read(other.id, 0, blobLength(file.length));
  strictEqual(otherBytes.length, original.length);
  const replace = async (bytes: Uint8Array) => {
    await blobs.deleteAccount(meta.accountId);
    await blobs.create({ ...meta, size: bytes.length });
    if (bytes.length > 0) await blobs.append(pointer.id, 0, bytes, meta.expiresAt);
  };
  const flipped = original.slice();
  flipped[700_000] = (flipped[700_000] ?? 0) ^ 0x01;
  await replace(flipped);
  await rejects(fetchAll(alice, pointer), invalid);
  await replace(original.subarray(0, original.length - 1));
  await rejects(fetchAll(alice, pointer), invalid);
  await replace(original.subarray(0, 1_048_576));
  await rejects(fetchAll(alice, pointer), invalid);
  // Bytes past the blob's length are never asked for.
  await replace(concatBytes(original, new Uint8Array(5)));
  deepStrictEqual(await fetchAll(alice, pointer), file);
  // The other blob under this id: another key's MAC fails.
  await replace(otherBytes);
  await rejects(fetchAll(alice, pointer), invalid);
  await replace(original);
  deepStrictEqual(await fetchAll(alice, pointer), file);
});

test("a chunk whose answer was lost is recognised from the relay's count, not sent twice", async () => {
  let dropNextPut = true;
  const lossy = ((url: string, init: Parameters<typeof fetch>[1]) => {
    const p = fetch(url, init);
    if (init?.method === 'PUT' && dropNextPut) {
      dropNextPut = false;
      return p.then(() => Promise.reject(new Error('connection reset')));
    }
    return p;
  }) as unknown as FetchLike;
  const alice = new Client({
    backend: new MemoryBackend(),
    primitives,
    relay: new RelayHttp(relay.base, nodeFetch),
    binaryFetch: lossy as never,
  });
  await alice.register('lossyalice');
  const file = primitives.randomBytes(2_200_000);
  const pointer = await alice.uploadAttachment(fileOf(file));
  strictEqual(dropNextPut, false);
  deepStrictEqual(await fetchAll(alice, pointer), file);
});
