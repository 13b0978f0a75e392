import { ok, strictEqual } from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend, ParleyClient, RelayHttp } from '@parley/client';
import { createNodePrimitives } from '@parley/primitives-node';
import { LIVE_OPEN_TIMEOUT_MS, openLive } from '../src/live.js';

test('openLive gives up at once when the socket cannot be opened (the caller then polls)', async () => {
  const unreachable = 'http://127.0.0.1:1';
  const client = new ParleyClient({
    backend: new MemoryBackend(),
    primitives: createNodePrimitives(),
    relay: new RelayHttp(unreachable, (url, init) => fetch(url, init)),
  });
  const started = Date.now();
  const errors: unknown[] = [];
  const live = await openLive(
    client,
    unreachable,
    () => undefined,
    (e) => errors.push(e),
  );
  strictEqual(live, undefined);
  ok(Date.now() - started < LIVE_OPEN_TIMEOUT_MS, 'fell back before the open timeout');
  strictEqual(errors.length, 0);
});
