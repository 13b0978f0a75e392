/**
 * The engine's expiry timer (Node, mocked timers): it sweeps when a message is due, and a sweep
 * that reads a large store spaces the next one by a multiple of its own duration, so a contact
 * sending a message with a new expiry every second cannot keep the engine sweeping.
 */
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { ExpiryTimer } from '../src/engine/expiry.js';
import { EXPIRY_SWEEP_COST_FACTOR, MIN_EXPIRY_WAIT_MS } from '../src/engine/limits.js';

function world(sweepMs: number) {
  let clock = 1_000_000;
  const sweeps: number[] = [];
  const timer = new ExpiryTimer({
    // Something is always due: a hostile contact's message expiring every moment.
    nextExpiry: () => clock - 1,
    sweep: () => {
      sweeps.push(clock);
      clock += sweepMs;
    },
    now: () => clock,
  });
  const advance = (ms: number): void => {
    for (let i = 0; i < ms; i += 100) {
      clock += 100;
      mock.timers.tick(100);
    }
  };
  return { timer, sweeps, advance };
}

test('cheap sweeps run at most every MIN_EXPIRY_WAIT_MS', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { timer, sweeps, advance } = world(0);
    timer.arm();
    advance(10_000);
    timer.stop();
    assert.ok(sweeps.length >= 5, `swept ${sweeps.length} times`);
    for (let i = 1; i < sweeps.length; i++)
      assert.ok((sweeps[i] ?? 0) - (sweeps[i - 1] ?? 0) >= MIN_EXPIRY_WAIT_MS);
  } finally {
    mock.timers.reset();
  }
});

test('a costly sweep spaces the next by EXPIRY_SWEEP_COST_FACTOR times its duration', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const cost = 2_000;
    const { timer, sweeps, advance } = world(cost);
    timer.arm();
    advance(120_000);
    timer.stop();
    assert.ok(sweeps.length >= 2, `swept ${sweeps.length} times`);
    for (let i = 1; i < sweeps.length; i++)
      assert.ok(
        (sweeps[i] ?? 0) - (sweeps[i - 1] ?? 0) >= cost * EXPIRY_SWEEP_COST_FACTOR,
        'the engine sweeps at most a tenth of its time',
      );
  } finally {
    mock.timers.reset();
  }
});
