// `npm run soak:relay -- [--kills N] [--seed S]`: the crash scenario (crash-scenario.ts) with
// many kills: SIGKILLs a real relay process N times (default 100) under WebSocket sends and
// pushes, then checks that every acknowledged message was stored once and delivered. Prints
// one line with the counts; exits 1 on a violation (with the seed to replay it).
import { runCrashScenario } from './crash-scenario.js';

const MAX_KILLS = 10_000;
const args = process.argv.slice(2);
const value = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const kills = Number(value('--kills') ?? 100);
const seed = Number(value('--seed') ?? Date.now() % 100_000);
if (!Number.isInteger(kills) || kills < 1 || kills > MAX_KILLS) {
  console.error(`--kills must be an integer in 1..${String(MAX_KILLS)}`);
  process.exit(2);
}
console.log(`soak:relay: ${String(kills)} SIGKILLs, seed ${String(seed)}`);
try {
  const s = await runCrashScenario({ kills, seed, log: (line) => console.log(line) });
  console.log(
    `soak:relay: ${String(s.kills)} kills (${String(s.killsDuringSend)} with sends in flight), ${String(s.acknowledged)} acknowledged, ${String(s.delivered)} delivered exactly once by guid, ${String(s.redelivered)} re-pushes recognised by guid, ${String(s.seconds)} s`,
  );
} catch (error) {
  console.error(`soak:relay FAILED (seed ${String(seed)}): ${String(error)}`);
  process.exitCode = 1;
}
