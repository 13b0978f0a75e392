/**
 * Counts OpenSSL private-key imports (`createPrivateKey` on node:crypto itself) for the key
 * cache tests. Import this module before the backend (statically, then the backend with a
 * dynamic `import()`), so that the backend's named import is the counting one.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);
const nodeCrypto = require('node:crypto') as { createPrivateKey: (...a: unknown[]) => unknown };
const original = nodeCrypto.createPrivateKey;
let imports = 0;
nodeCrypto.createPrivateKey = (...a: unknown[]) => {
  imports++;
  return original(...a);
};
syncBuiltinESMExports();

/** `f`'s value and how many private keys it imported. */
export function counted<T>(f: () => T): { value: T; imports: number } {
  const before = imports;
  const value = f();
  return { value, imports: imports - before };
}
