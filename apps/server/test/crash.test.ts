import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCrashScenario } from './crash-scenario.js';

const KILLS = 8;
const SEED = Number(process.env['PARLEY_CRASH_SEED'] ?? Date.now() % 100_000);

test(
  `crash: SIGKILL at random moments under WebSocket sends and pushes (protocol 2); every acknowledged message is stored once and delivered (seed ${String(SEED)})`,
  { timeout: 180_000 },
  async () => {
    const stats = await runCrashScenario({ kills: KILLS, seed: SEED });
    assert.equal(stats.kills, KILLS);
    assert.ok(
      stats.acknowledged > 50,
      `enough traffic (${String(stats.acknowledged)} acknowledged)`,
    );
    assert.ok(stats.killsDuringSend > 0, 'at least one kill landed while sends were in flight');
    assert.equal(stats.delivered, stats.acknowledged);
  },
);
