/** One named conformance check (the shape `npm run conformance` counts). */
export interface KeyTransCase {
  readonly name: string;
  run(): void;
}

/** Thrown when a known answer differs. */
export class KnownAnswerMismatch extends Error {
  override readonly name = 'KnownAnswerMismatch';
}

export function expectHex(what: string, actual: string, expected: string): void {
  if (actual !== expected)
    throw new KnownAnswerMismatch(
      `${what}: got ${actual.slice(0, 64)}…, expected ${expected.slice(0, 64)}…`,
    );
}

export function expectEqual(what: string, actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e)
    throw new KnownAnswerMismatch(`${what}: got ${a.slice(0, 120)}, expected ${e.slice(0, 120)}`);
}
