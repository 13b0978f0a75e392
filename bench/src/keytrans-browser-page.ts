/**
 * The code `keytrans-browser.ts` bundles into headless chromium: a fresh client's verification
 * of a Search response (decode, then `verifySearch` with an empty store) over the noble
 * primitives, as the web client's engine runs it. Isomorphic (no DOM or Node API), so it also
 * runs in Node for the same-run comparison. Times in-page with `performance.now()`.
 */
import {
  MemoryKeyTransStore,
  createSuite,
  decodeConfiguration,
  decodeSearchResponse,
  verifySearch,
  type ClientContext,
} from '@parley/keytrans';
import { createNoblePrimitives } from '@parley/primitives-noble';

/** What the page is given: the log's Configuration, one Search response and its label. */
export interface VerifyInput {
  readonly config: Uint8Array;
  readonly response: Uint8Array;
  readonly label: Uint8Array;
  /** The client's clock at verification (the head's age is checked against it). */
  readonly now: number;
}

/** Milliseconds per part of one verification (decode, verify) and the version it proved. */
export interface VerifyTiming {
  readonly decodeMs: number;
  readonly verifyMs: number;
  readonly version: number;
}

export function verifyingClient(input: VerifyInput): () => VerifyTiming {
  const suite = createSuite(createNoblePrimitives());
  const config = decodeConfiguration(input.config);
  const ctx: ClientContext = { suite, config };
  return () => {
    const t0 = performance.now();
    const response = decodeSearchResponse(config.mode, false, input.response);
    const t1 = performance.now();
    const verified = verifySearch(
      ctx,
      new MemoryKeyTransStore(),
      input.label,
      undefined,
      response,
      input.now,
    );
    const t2 = performance.now();
    return { decodeMs: t1 - t0, verifyMs: t2 - t1, version: verified.output.version };
  };
}

/**
 * The first (cold) verification, then `runs` after `warmup` untimed ones; throws if any fails.
 * Also checks, once and untimed, that the response with one byte flipped at each of `flips` is
 * refused.
 */
export function timeVerification(
  input: VerifyInput,
  runs: number,
  warmup: number,
  flips: readonly number[],
): { readonly first: number; readonly timings: VerifyTiming[]; readonly refused: boolean[] } {
  // The page's first verification: code not yet compiled, the log's VRF key not yet decoded
  // and tabled (what a web client pays once per session).
  const cold = verifyingClient(input)();
  const first = cold.decodeMs + cold.verifyMs;
  const refused = flips.map((at) => {
    const bad = input.response.slice();
    bad[at] = (bad[at] ?? 0) ^ 0x01;
    try {
      verifyingClient({ ...input, response: bad })();
      return false;
    } catch {
      return true;
    }
  });
  const once = verifyingClient(input);
  for (let i = 0; i < warmup; i++) once();
  const timings: VerifyTiming[] = [];
  for (let i = 0; i < runs; i++) timings.push(once());
  return { first, timings, refused };
}
