import { deepStrictEqual, ok } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientEvent } from '../src/client.js';
import { LiveConnection } from '../src/live.js';
import { nodeSocketFactory } from '../src/live.node.js';
import { newClient, startRelay, type TestRelay } from './harness.js';

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.close();
});

const WAIT_MS = 10_000;

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('live WebSocket delivery: messages arrive as pushed, once, and after a dropped connection', async () => {
  const alice = newClient(relay.base);
  const bob = newClient(relay.base);
  await alice.register('alice_live');
  await bob.register('bob_live');
  await alice.send('bob_live', 'queued while offline');

  const events: ClientEvent[] = [];
  const states: string[] = [];
  const errors: unknown[] = [];
  const live = new LiveConnection({
    client: bob,
    baseUrl: relay.base,
    socket: nodeSocketFactory,
    sleep: (ms) => sleep(ms),
    onEvent: (e) => {
      events.push(e);
    },
    onState: (s) => states.push(s),
    onError: (e) => errors.push(e),
  });
  live.start();
  const texts = () => events.flatMap((e) => (e.type === 'message' ? [e.message.text] : []));
  await until('the queued message', () => texts().length === 1);
  await alice.send('bob_live', 'while online');
  await until('the pushed message', () => texts().length === 2 || errors.length > 0);
  deepStrictEqual(errors, []);

  live.dropForTest();
  await until('a reconnect', () => states.filter((s) => s === 'ready').length >= 2);
  await alice.send('bob_live', 'after reconnect');
  await until('the message after reconnecting', () => texts().length === 3);
  live.stop();
  deepStrictEqual(texts(), ['queued while offline', 'while online', 'after reconnect']);
  // Acknowledged over the socket: nothing is left for an HTTP fetch.
  deepStrictEqual(await bob.receive(), []);
  ok((await alice.receive()).every((e) => e.type === 'receipt'));
});
