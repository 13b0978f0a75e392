import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';

/**
 * Private keys in a 0600 JSON file in the data directory, made on first start. Never logged;
 * the file is the only copy (back it up with the database).
 */
export function loadOrCreateKeys<K extends string>(
  dataDir: string,
  file: string,
  names: readonly K[],
  primitives: Primitives,
): Record<K, Uint8Array> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, file);
  if (!existsSync(path)) {
    const fresh: Record<string, string> = {};
    for (const n of names) fresh[n] = toHex(primitives.randomBytes(32));
    writeFileSync(path, `${JSON.stringify(fresh)}\n`, { mode: 0o600, flag: 'wx' });
  }
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const out = {} as Record<K, Uint8Array>;
  for (const n of names) {
    const value = parsed[n];
    if (typeof value !== 'string' || value.length !== 64)
      throw new Error(`${file}: ${n} is missing or malformed`);
    out[n] = fromHex(value);
  }
  return out;
}
