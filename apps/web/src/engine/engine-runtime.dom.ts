/**
 * The engine worker's heavy half, loaded with a dynamic `import()` so the registration screen
 * does not wait for it: SQLite WASM's loader (which fetches and compiles the WASM), the SDK and
 * the noble primitives. Importing it starts compiling SQLite, so a worker waiting for the lock
 * has it ready for a hand-over.
 */
import sqlite3InitModule, { type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { ClientError } from '@parley/client';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { EngineError } from './engine.js';
import { EngineHost } from './engine-host.dom.js';
import { ENGINE_ERRORS, type EngineErrorBody, type EngineEvent } from './protocol.js';
import { installPool } from './store.dom.js';

const primitives = createNoblePrimitives();
const sqlite3Ready: Promise<Sqlite3Static> = sqlite3InitModule();

/** Opens the store and returns its host (whatever phase it opened in: new, locked, ready). */
export async function openHost(emit: (event: EngineEvent) => void): Promise<EngineHost> {
  const sqlite3 = await sqlite3Ready;
  const host = new EngineHost(sqlite3, await installPool(sqlite3), primitives, emit);
  await host.open();
  return host;
}

/** A failed request's body for the tabs: stable codes only, nothing from inside. */
export function errorBody(error: unknown): EngineErrorBody {
  if (error instanceof ClientError || error instanceof EngineError)
    return { code: error.code, message: error.message };
  console.error(
    'parley engine: request failed',
    error instanceof Error ? error.name : typeof error,
  );
  return { code: ENGINE_ERRORS.INTERNAL, message: 'something went wrong in the engine' };
}
