/**
 * The tab's side of the engine protocol. It starts this tab's engine worker (which leads only if
 * it wins the Web Lock) and talks to whichever engine leads, over the BroadcastChannel. Requests
 * made before any engine has announced itself wait; reads in flight when the leader changes are
 * asked again of the new engine, writes fail with `ENGINE_CHANGED` (the caller decides: a send
 * retries with its start time), and `onLeader` tells the view to load its state again.
 */
import {
  ENGINE_CHANNEL,
  ENGINE_ERRORS,
  type EngineErrorBody,
  type EngineEvent,
  type FromEngine,
  type RequestName,
  type Requests,
  type ToEngine,
  type WorkerToTab,
} from '../engine/protocol.js';

/** A failed request, with the engine's (or the SDK's) stable code. */
/** Requests that only read (or, like markRead, give the same result when repeated). */
const REPEATABLE: ReadonlySet<RequestName> = new Set<RequestName>([
  'status',
  'devices',
  'settings',
  'about',
  'conversations',
  'timeline',
  'markRead',
  'search',
  'safetyNumber',
  'groupInfo',
  'disappearingTimer',
]);

export class RequestError extends Error {
  readonly code: string;
  constructor(body: EngineErrorBody) {
    super(body.message);
    this.code = body.code;
  }
}

interface Pending {
  readonly engine: string | undefined;
  readonly message: Omit<Extract<ToEngine, { kind: 'request' }>, 'engine'>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class EngineLink {
  readonly #tab = crypto.randomUUID();
  readonly #channel = new BroadcastChannel(ENGINE_CHANNEL);
  readonly #pending = new Map<number, Pending>();
  readonly #eventHandlers = new Set<(event: EngineEvent) => void>();
  readonly #leaderHandlers = new Set<() => void>();
  #engine: string | undefined;
  #nextId = 1;

  constructor() {
    const worker = new Worker(new URL('../engine/worker.dom.ts', import.meta.url), {
      type: 'module',
      name: 'parley-engine',
    });
    worker.onmessage = (event: MessageEvent<WorkerToTab>) => {
      // This tab's own worker leads: marked on the page for people debugging and for tests.
      const root = document.documentElement.dataset;
      root['leader'] = String(event.data.leading);
      root['lockedAt'] = String(event.data.lockedAt);
      if (event.data.readyAt !== undefined) root['engineReadyAt'] = String(event.data.readyAt);
    };
    // The channel also carries other tabs' requests to the engine; only the engine's messages
    // are for us.
    this.#channel.onmessage = (event: MessageEvent<FromEngine | ToEngine>) => {
      this.#receive(event.data);
    };
    this.#post({ kind: 'hello', tab: this.#tab });
  }

  /** The leading engine's id, once one has announced itself. */
  get engine(): string | undefined {
    return this.#engine;
  }

  request<K extends RequestName>(
    type: K,
    params: Requests[K]['params'],
  ): Promise<Requests[K]['result']> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        engine: this.#engine,
        message: { kind: 'request', tab: this.#tab, id, request: { type, params } as never },
        resolve,
        reject,
      };
      this.#pending.set(id, pending);
      if (this.#engine !== undefined) this.#post({ ...pending.message, engine: this.#engine });
    });
  }

  onEvent(handler: (event: EngineEvent) => void): () => void {
    this.#eventHandlers.add(handler);
    return () => this.#eventHandlers.delete(handler);
  }

  /** Called when an engine (first or new) starts leading. */
  onLeader(handler: () => void): () => void {
    this.#leaderHandlers.add(handler);
    return () => this.#leaderHandlers.delete(handler);
  }

  #post(message: ToEngine): void {
    this.#channel.postMessage(message);
  }

  #receive(m: FromEngine | ToEngine): void {
    if (m.kind === 'leader') {
      if (m.engine === this.#engine) return;
      this.#engine = m.engine;
      document.documentElement.dataset['engine'] = m.engine;
      for (const [id, p] of this.#pending) {
        // Requests the old engine may have been serving: reads are asked again of the new
        // engine (answering twice changes nothing); anything that writes fails, since the old
        // engine may have done it.
        if (p.engine === undefined || REPEATABLE.has(p.message.request.type)) {
          this.#pending.set(id, { ...p, engine: m.engine });
          this.#post({ ...p.message, engine: m.engine });
        } else {
          this.#pending.delete(id);
          p.reject(
            new RequestError({
              code: ENGINE_ERRORS.ENGINE_CHANGED,
              message: 'the engine changed while this was in progress',
            }),
          );
        }
      }
      for (const h of this.#leaderHandlers) h();
    } else if (m.kind === 'reply') {
      if (m.tab !== this.#tab) return;
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new RequestError(m.error));
    } else if (m.kind === 'event' && m.engine === this.#engine) {
      for (const h of this.#eventHandlers) h(m.event);
    }
  }
}
