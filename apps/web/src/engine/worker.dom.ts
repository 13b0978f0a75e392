/**
 * The engine worker. Every tab starts one; each asks for the engine Web Lock, and only the
 * holder opens the store and runs the engine (`EngineHost`), so one browser profile has exactly
 * one engine however many tabs are open. The others wait in the lock's queue with SQLite already
 * loaded, and the next one takes over as soon as the holder's tab closes (the lock is released
 * with the worker). Requests and events travel over one BroadcastChannel (`protocol.ts`): the
 * engine answers any tab, so the tab that hosts it has no special role.
 *
 * This file is small on purpose: SQLite, the SDK and noble are in `engine-runtime.dom.ts`,
 * fetched at once but not waited for when OPFS has no store yet: a first visit shows the
 * registration screen while they load, and requests made meanwhile wait for the engine.
 */
import type { EngineHost } from './engine-host.dom.js';
import { opfsMissing, storeMayExist } from './opfs.dom.js';
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

const engineId = crypto.randomUUID();
const channel = new BroadcastChannel(ENGINE_CHANNEL);
/** Fetched (and SQLite compiled) while waiting for the lock, so a hand-over does not wait. */
const runtime = import('./engine-runtime.dom.js');
// A failed load is reported where it is awaited, not as an unhandled rejection here.
runtime.catch(() => undefined);

let leading = false;
let host: EngineHost | undefined;
/** Settles when the host is open (undefined if the store could not be opened). */
let hostReady: Promise<EngineHost | undefined> | undefined;
/** The phase before a host exists (starting, new on a first visit, or unavailable). */
let phase: EnginePhase = { kind: 'starting' };

function post(message: FromEngine): void {
  channel.postMessage(message);
}

function emit(event: EngineEvent): void {
  post({ kind: 'event', engine: engineId, event });
}

const notReady = (): Error =>
  Object.assign(new Error('Parley is not ready yet'), { code: ENGINE_ERRORS.NOT_READY });

async function errorBody(error: unknown): Promise<EngineErrorBody> {
  try {
    return (await runtime).errorBody(error);
  } catch {
    return { code: ENGINE_ERRORS.INTERNAL, message: 'something went wrong in the engine' };
  }
}

async function dispatch(request: Request): Promise<unknown> {
  if (host !== undefined) return host.handle(request);
  if (request.type === 'status') return { phase, connection: 'offline' };
  // While the engine's code loads or the store opens, a request waits for it.
  const ready = await hostReady;
  if (ready === undefined) throw notReady();
  return ready.handle(request);
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
      async (error: unknown) => {
        const body =
          error instanceof Error && (error as { code?: unknown }).code === ENGINE_ERRORS.NOT_READY
            ? { code: ENGINE_ERRORS.NOT_READY, message: error.message }
            : await errorBody(error);
        post({ kind: 'reply', tab: m.tab, id: m.id, ok: false, error: body });
      },
    );
  }
};

function setPhase(next: EnginePhase): void {
  phase = next;
  emit({ type: 'status', status: { phase, connection: 'offline' } });
}

async function openHost(): Promise<EngineHost | undefined> {
  try {
    const opened = await (await runtime).openHost(emit);
    host = opened;
    return opened;
  } catch (error) {
    console.error('parley engine: storage failed', error instanceof Error ? error.message : '');
    setPhase({
      kind: 'unavailable',
      reason:
        'Parley could not open its storage in this browser (the private file system refused it), so nothing can be kept here.',
    });
    return undefined;
  }
}

/** Runs while this worker holds the engine lock, which is for the rest of its life. */
async function lead(): Promise<never> {
  leading = true;
  const lockedAt = Date.now();
  post({ kind: 'leader', engine: engineId });
  postMessage({ leading: true, lockedAt } satisfies WorkerToTab);
  const missing = opfsMissing();
  if (missing !== undefined) {
    setPhase({ kind: 'unavailable', reason: missing });
  } else {
    // Set before anything is awaited: a request that arrives from now on waits for it.
    hostReady = (async () => {
      // A first visit: the registration screen now, the store when the engine's code is here.
      if (!(await storeMayExist())) setPhase({ kind: 'new' });
      return openHost();
    })();
    await hostReady;
    // For people debugging and for the hand-over test: the engine's own clock, not a poll.
    postMessage({ leading: true, lockedAt, readyAt: Date.now() } satisfies WorkerToTab);
  }
  return new Promise<never>(() => undefined);
}

void navigator.locks.request(ENGINE_LOCK, lead);
