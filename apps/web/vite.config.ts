/**
 * Builds the web client for the relay to serve under a strict Content-Security-Policy: no
 * inlined assets (no data: URLs), no inline scripts, the engine as a separate ES-module worker,
 * SQLite's WASM as a file. Parley's own packages resolve to their TypeScript sources.
 */
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';
import { sqliteTrim } from './build/sqlite-trim.js';

/**
 * SQLite's loader fetches `sqlite3.wasm` next to the script that imports it, whatever the
 * bundler says, so that one asset keeps its plain name (the relay revalidates it by ETag).
 */
function assetFileNames(info: { readonly names: readonly string[] }): string {
  return info.names.includes('sqlite3.wasm')
    ? 'assets/sqlite3.wasm'
    : 'assets/[name]-[hash][extname]';
}

const { version } = JSON.parse(readFileSync(new URL('package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export default defineConfig({
  plugins: [solid(), sqliteTrim()],
  define: { __PARLEY_VERSION__: JSON.stringify(version) },
  resolve: { conditions: ['parley-source', 'browser', 'module', 'import', 'default'] },
  // `npm run dev`: the relay's API and WebSocket behind the dev server's origin.
  server: {
    proxy: {
      '/v1': { target: process.env['PARLEY_RELAY'] ?? 'http://127.0.0.1:8080', ws: true },
    },
  },
  worker: {
    format: 'es',
    // The engine worker is where SQLite runs.
    plugins: () => [sqliteTrim()],
    rolldownOptions: { output: { assetFileNames }, checks: { bundlerTimings: false } },
  },
  optimizeDeps: { exclude: ['@sqlite.org/sqlite-wasm'] },
  build: {
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
    // No bundler-timing report (a slow plugin on a loaded machine is not news).
    rolldownOptions: { output: { assetFileNames }, checks: { bundlerTimings: false } },
  },
});
