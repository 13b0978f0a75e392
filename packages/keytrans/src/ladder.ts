import { KeyTransError } from './errors.js';
import { MAX_VERSION } from './limits.js';

/**
 * Binary ladders (-05 §5, §6.2, §8.1, Appendix B), computed one lookup at a time so the same
 * code serves the log (which knows the greatest version) and the client (which learns each
 * answer from the proof). Versions above 2^32 − 1 are skipped and count as absent.
 */

/** base_binary_ladder(n): the versions looked up to establish n as the greatest. */
export function baseLadder(n: number): number[] {
  return runLadder((v) => v <= n).map((s) => s.version);
}

/** One lookup of a ladder: the version and whether it is included. */
export interface LadderStep {
  readonly version: number;
  readonly included: boolean;
}

/**
 * Runs the base ladder against `included` (the truth for the log, the proof for a client)
 * until it has determined the greatest version; `stop` may end it early after any step.
 */
export function runLadder(
  included: (version: number) => boolean,
  stop: (step: LadderStep) => boolean = () => false,
): LadderStep[] {
  const out: LadderStep[] = [];
  const ask = (version: number): boolean => {
    const step = { version, included: version <= MAX_VERSION && included(version) };
    if (version <= MAX_VERSION) out.push(step);
    return step.included;
  };
  let lower = -1;
  let upper: number;
  for (let i = 0; ; i++) {
    const v = 2 ** i - 1;
    const yes = ask(v);
    const last = out[out.length - 1];
    if (last !== undefined && last.version === v && stop(last)) return out;
    if (!yes) {
      upper = v;
      break;
    }
    lower = v;
    if (i > 33) throw new KeyTransError('MISUSE', 'ladder did not terminate');
  }
  while (lower + 1 < upper) {
    const v = Math.floor((lower + upper) / 2);
    const yes = ask(v);
    const last = out[out.length - 1];
    if (last !== undefined && last.version === v && stop(last)) return out;
    if (yes) lower = v;
    else upper = v;
  }
  return out;
}

/** Where a search ladder puts the greatest version relative to the target. */
export type LadderOutcome = 'less' | 'equal' | 'greater';

/** Whether this lookup ends a search ladder (-05 §6.2): inclusion above t, or absence at or below t. */
export function endsSearch(step: LadderStep, target: number): boolean {
  return step.included ? step.version > target : step.version <= target;
}

/** The outcome of a finished search ladder. */
export function searchOutcome(steps: readonly LadderStep[], target: number): LadderOutcome {
  for (const s of steps) {
    if (s.included && s.version > target) return 'greater';
    if (!s.included && s.version <= target) return 'less';
  }
  return 'equal';
}

/** monitoring_binary_ladder(t): the base ladder's versions at or below t, all expected included. */
export function monitoringLadder(target: number): number[] {
  return baseLadder(target).filter((v) => v <= target);
}

/**
 * The versions of a search ladder for `target` as the target alone determines them: every
 * version any search ladder for `target` can look up (-05 §12.1's `binary_ladder` list).
 */
export function searchLadderVersions(target: number): number[] {
  return baseLadder(target);
}
