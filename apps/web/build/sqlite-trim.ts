/**
 * A Vite plugin that leaves out the parts of SQLite WASM's JavaScript glue the engine never
 * runs (it uses only `oo1` and the `opfs-sahpool` VFS): the Worker1 message API and its
 * promiser (with the extra worker chunk the promiser brings), the helpers for virtual tables
 * written in JavaScript, and the `opfs` VFS, which needs SharedArrayBuffer (COOP/COEP headers)
 * and starts a proxy worker at every start. Each part is one initializer of the glue, found by a
 * line only it contains; the build fails if the pinned version's file does not have exactly the
 * expected shape, so an upgrade cannot silently keep or cut the wrong code.
 */
import type { Plugin } from 'vite';

/** Every initializer of the glue starts with this statement. */
const INITIALIZER = 'globalThis.sqlite3ApiBootstrap.initializers.push(';

/** A line inside each initializer left out: Worker1 API, JavaScript virtual tables, `opfs` VFS. */
const LEFT_OUT = [
  'sqlite3.initWorker1API = function () {',
  'sqlite3.vtab = vtab;',
  'const installOpfsVfs = function callee(options) {',
] as const;

/** The package's entry without the Worker1 promiser: only the module factory. */
const ENTRY = "export { default } from './sqlite-wasm/jswasm/sqlite3.mjs';\n";

function only(code: string, text: string): number {
  const at = code.indexOf(text);
  if (at < 0 || code.indexOf(text, at + 1) >= 0)
    throw new Error(`sqlite-trim: expected exactly one "${text}" in SQLite's glue`);
  return at;
}

/** The glue without the initializers that contain the `LEFT_OUT` lines. */
export function trimGlue(code: string): string {
  let out = code;
  for (const line of LEFT_OUT) {
    const inside = only(out, line);
    const start = out.lastIndexOf(INITIALIZER, inside);
    const end = out.indexOf(INITIALIZER, inside);
    if (start < 0 || end < 0) throw new Error(`sqlite-trim: no initializer around "${line}"`);
    out = `${out.slice(0, start)}${out.slice(end)}`;
  }
  return out;
}

export function sqliteTrim(): Plugin {
  return {
    name: 'parley-sqlite-trim',
    enforce: 'pre',
    transform(code, id) {
      const path = id.split('?')[0]?.replaceAll('\\', '/') ?? '';
      if (path.endsWith('/@sqlite.org/sqlite-wasm/index.mjs')) {
        only(code, "from './sqlite-wasm/jswasm/sqlite3.mjs'");
        return { code: ENTRY, map: null };
      }
      if (path.endsWith('/@sqlite.org/sqlite-wasm/sqlite-wasm/jswasm/sqlite3.mjs'))
        return { code: trimGlue(code), map: null };
      return null;
    },
  };
}
