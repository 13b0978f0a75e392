/** A tiny `--name value` parser shared by the two entry points. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseFlags(argv: readonly string[], known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--help' || a === '-h') {
      out.set('help', '1');
      continue;
    }
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    const value = argv[i + 1];
    if (name === undefined || !known.includes(name) || value === undefined)
      throw new UsageError(`unknown or incomplete option ${a}`);
    out.set(name, value);
    i++;
  }
  return out;
}

export function intFlag(flags: Map<string, string>, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative integer`);
  return n;
}
