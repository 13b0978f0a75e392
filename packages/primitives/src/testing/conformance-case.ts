/** One named check of a {@link Primitives} backend; `run` throws when the check fails. */
export interface ConformanceCase {
  /** Names the specification and section checked, e.g. "RFC 7748 §5.2 X25519 test 1". */
  readonly name: string;
  run(): void;
}

/** Options for {@link primitivesConformance}. */
export interface ConformanceOptions {
  /** Also run the RFC 7748 §5.2 1,000,000-iteration X25519 vector (minutes). Off by default. */
  readonly millionIterations?: boolean;
}
