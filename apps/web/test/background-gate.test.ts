/**
 * The engine's priority lane (Node, a simulated clock): background slices hold back while
 * interactive requests come, start again once they stop, and cannot be held back for longer than
 * `MAX_BACKGROUND_DEFER_MS` by a tab that never stops asking.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackgroundGate, INTERACTIVE_REQUESTS } from '../src/engine/background-gate.js';
import { INTERACTIVE_QUIET_MS, MAX_BACKGROUND_DEFER_MS } from '../src/engine/limits.js';

/** A clock that moves only when something sleeps; `during` runs at every ms passed. */
function world(during: (now: number) => void = () => undefined) {
  let clock = 10_000;
  const slept: number[] = [];
  const gate = new BackgroundGate({
    now: () => clock,
    sleep: (ms) => {
      slept.push(ms);
      for (let i = 0; i < ms; i++) {
        clock += 1;
        during(clock);
      }
      return Promise.resolve();
    },
    yield: () => Promise.resolve(),
  });
  return { gate, slept, now: () => clock, advance: (ms: number) => (clock += ms) };
}

test('with no interactive request, a pause only yields', async () => {
  const { gate, slept } = world();
  for (let i = 0; i < 5; i++) await gate.pause();
  assert.deepEqual(slept, []);
});

test('a background slice does not start within INTERACTIVE_QUIET_MS of an interactive request', async () => {
  const { gate, now, advance } = world();
  const starts: number[] = [];
  let touchedAt = 0;
  for (let slice = 0; slice < 6; slice++) {
    await gate.pause();
    starts.push(now());
    advance(12); // the slice's work
    if (slice === 2) {
      // A timeline request arrives while the slice runs, and is answered after it.
      touchedAt = now();
      gate.touch();
    }
  }
  const next = starts[3];
  assert.ok(next !== undefined);
  assert.ok(
    next >= touchedAt + INTERACTIVE_QUIET_MS,
    `slice started ${next - touchedAt} ms after the request`,
  );
  // And once it is quiet, the slices follow each other without waiting.
  assert.equal(starts[4], (starts[3] ?? 0) + 12);
});

test('requests that never stop hold a pause back at most MAX_BACKGROUND_DEFER_MS', async () => {
  // A tab asking every 10 ms, for ever.
  const asking: { gate?: BackgroundGate } = {};
  const { gate, now } = world((t) => {
    if (t % 10 === 0) asking.gate?.touch();
  });
  asking.gate = gate;
  gate.touch();
  const before = now();
  await gate.pause();
  const held = now() - before;
  assert.ok(held >= INTERACTIVE_QUIET_MS, `held ${held} ms`);
  assert.ok(held <= MAX_BACKGROUND_DEFER_MS, `held ${held} ms`);
});

test('opening, searching and the list are interactive; writes are not', () => {
  for (const t of ['timeline', 'search', 'conversations'] as const)
    assert.ok(INTERACTIVE_REQUESTS.has(t), t);
  for (const t of ['send', 'markRead', 'checkContact', 'status'] as const)
    assert.ok(!INTERACTIVE_REQUESTS.has(t), t);
});
