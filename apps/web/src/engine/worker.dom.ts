/**
 * The engine worker. Every tab starts one; each asks for the engine Web Lock, and only the
 * holder opens the store and runs the engine (`EngineHost`), so one browser profile has exactly
 * one engine however many tabs are open. The others wait in the lock's queue with SQLite already
 * loaded, and the next one takes over as soon as the holder's tab closes (the lock is released
 * with the worker). Requests and events travel over one BroadcastChannel (`protocol.ts`): the
 * engine answers any tab, so the tab that hosts it has no special role.
 */
import sqlite3InitModule, { type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { ClientError } from '@parley/client';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { EngineError } from './engine.js';
import { EngineHost } from './engine-host.dom.js';
import {
  ENGINE_CHANNEL,
  ENGINE_ERRORS,
  ENGINE_LOCK,
  type EngineErrorBody,
  type EngineEvent,
  type EnginePhase,
  type FromEngine,
  type Request,
  type ToEngine,
  type WorkerToTab,
} from './protocol.js';
import { installPool, opfsMissing } from './store.dom.js';

const engineId = crypto.randomUUID();
const channel = new BroadcastChannel(ENGINE_CHANNEL);
const primitives = createNoblePrimitives();
/** Loaded while waiting for the lock, so a hand-over does not wait for the WASM. */
const sqlite3Ready: Promise<Sqlite3Static> = sqlite3InitModule();

let leading = false;
let host: EngineHost | undefined;
/** The phase before a host exists (starting, or unavailable). */
let phase: EnginePhase = { kind: 'starting' };

function post(message: FromEngine): void {
  channel.postMessage(message);
}

function emit(event: EngineEvent): void {
  post({ kind: 'event', engine: engineId, event });
}

function errorBody(error: unknown): EngineErrorBody {
  if (error instanceof ClientError || error instanceof EngineError)
    return { code: error.code, message: error.message };
  console.error(
    'parley engine: request failed',
    error instanceof Error ? error.name : typeof error,
  );
  return { code: ENGINE_ERRORS.INTERNAL, message: 'something went wrong in the engine' };
}

function dispatch(request: Request): Promise<unknown> {
  if (host !== undefined) return host.handle(request);
  if (request.type === 'status') return Promise.resolve({ phase, connection: 'offline' });
  return Promise.reject(new EngineError(ENGINE_ERRORS.NOT_READY, 'Parley is not ready yet'));
}

// The channel also carries other engines' messages (a previous leader's last events); only
// requests addressed to this engine are answered.
channel.onmessage = (event: MessageEvent<ToEngine | FromEngine>) => {
  if (!leading) return;
  const m = event.data;
  if (m.kind === 'hello') {
    post({ kind: 'leader', engine: engineId });
  } else if (m.kind === 'request' && m.engine === engineId) {
    dispatch(m.request).then(
      (value) => {
        post({ kind: 'reply', tab: m.tab, id: m.id, ok: true, value });
      },
      (error: unknown) => {
        post({ kind: 'reply', tab: m.tab, id: m.id, ok: false, error: errorBody(error) });
      },
    );
  }
};

function unavailable(reason: string): void {
  phase = { kind: 'unavailable', reason };
  emit({ type: 'status', status: { phase, connection: 'offline' } });
}

/** Runs while this worker holds the engine lock, which is for the rest of its life. */
async function lead(): Promise<never> {
  leading = true;
  post({ kind: 'leader', engine: engineId });
  postMessage({ leading: true } satisfies WorkerToTab);
  const missing = opfsMissing();
  if (missing !== undefined) {
    unavailable(missing);
  } else {
    try {
      const sqlite3 = await sqlite3Ready;
      host = new EngineHost(sqlite3, await installPool(sqlite3), primitives, emit);
      await host.open();
    } catch (error) {
      console.error('parley engine: storage failed', error instanceof Error ? error.message : '');
      host = undefined;
      unavailable(
        'Parley could not open its storage in this browser (the private file system refused it), so nothing can be kept here.',
      );
    }
  }
  return new Promise<never>(() => undefined);
}

void navigator.locks.request(ENGINE_LOCK, lead);
