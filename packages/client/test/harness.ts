/** Test harness: the real relay (memory storage) listening on a free port, and SDK clients. */
import { createMemoryStorage, createRelay, type BlobStore, type Storage } from '@parley/relay';
import { createNodePrimitives } from '@parley/primitives-node';
import { ParleyClient } from '../src/client.js';
import { RelayHttp, type FetchLike } from '../src/http.js';
import { MemoryBackend, type StorageBackend } from '../src/storage.js';

export const primitives = createNodePrimitives();

export interface TestRelay {
  readonly base: string;
  close(): Promise<void>;
}

export async function startRelay(
  options: { blobs?: BlobStore; storage?: Storage } = {},
): Promise<TestRelay> {
  const app = await createRelay({
    storage: createMemoryStorage(),
    ...options,
    rateLimits: false,
    sweepIntervalMs: false,
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { base, close: () => app.close() };
}

export const nodeFetch: FetchLike = (url, init) => fetch(url, init);

export function newClient(
  base: string,
  fetchFn: FetchLike = nodeFetch,
  backend: StorageBackend = new MemoryBackend(),
): ParleyClient {
  return new ParleyClient({
    backend,
    primitives,
    relay: new RelayHttp(base, fetchFn),
  });
}
