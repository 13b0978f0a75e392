/**
 * The engine's host inside the leading worker: the store's life (opening it, locking it behind
 * the passphrase, changing the passphrase, wiping it) and the `Engine` over it while it is open.
 * It answers `HOST_REQUESTS` itself and hands every other request to the engine.
 */
import type { Database, SAHPoolUtil, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import type { Primitives } from '@parley/primitives';
import { Engine, EngineError } from './engine.js';
import {
  ENGINE_ERRORS,
  HOST_REQUESTS,
  type EngineEvent,
  type EnginePhase,
  type EngineRequest,
  type EngineStatus,
  type Request,
} from './protocol.js';
import { relayBase } from './relay-base.dom.js';
import { browserSocketFactory } from './socket.dom.js';
import { changePassphrase, hasPassphrase, openStore, wipeStore } from './store.dom.js';

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

function isHostRequest(r: Request): r is Exclude<Request, EngineRequest> {
  return (HOST_REQUESTS as readonly string[]).includes(r.type);
}

export class EngineHost {
  readonly #sqlite3: Sqlite3Static;
  readonly #pool: SAHPoolUtil;
  readonly #primitives: Primitives;
  readonly #emit: (event: EngineEvent) => void;
  #phase: EnginePhase = { kind: 'starting' };
  #engine: Engine | undefined;
  #db: Database | undefined;
  /** Store operations (open, lock, wipe) run one at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    sqlite3: Sqlite3Static,
    pool: SAHPoolUtil,
    primitives: Primitives,
    emit: (event: EngineEvent) => void,
  ) {
    this.#sqlite3 = sqlite3;
    this.#pool = pool;
    this.#primitives = primitives;
    this.#emit = emit;
  }

  status(): EngineStatus {
    return this.#engine?.status() ?? { phase: this.#phase, connection: 'offline' };
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #emitStatus(): void {
    this.#emit({ type: 'status', status: this.status() });
  }

  /** Opens the store (or stops at `locked`) and starts the engine over it. */
  open(passphrase?: string): Promise<void> {
    return this.#serial(() => this.#open(passphrase));
  }

  async #open(passphrase?: string): Promise<void> {
    if (this.#engine !== undefined) return;
    const baseUrl = await relayBase();
    const opened = await openStore(this.#pool, this.#primitives, passphrase);
    if (opened.kind !== 'open') {
      this.#phase = opened.kind === 'locked' ? { kind: 'locked' } : opened;
      this.#emitStatus();
      if (opened.kind === 'locked' && passphrase !== undefined)
        throw new EngineError('STORE_LOCKED', 'wrong passphrase');
      return;
    }
    this.#db = opened.db;
    let engine: Engine | undefined = undefined;
    engine = this.#engine = new Engine({
      backend: opened.backend,
      sqlite3: this.#sqlite3,
      primitives: this.#primitives,
      baseUrl,
      fetch: (url, init) => fetch(url, init),
      socket: browserSocketFactory((code) => engine?.socketClosed(code)),
      sleep,
      emit: this.#emit,
    });
    this.#emitStatus();
    this.#engine.start();
  }

  async #close(next: EnginePhase): Promise<void> {
    const engine = this.#engine;
    this.#engine = undefined;
    this.#db = undefined;
    this.#phase = next;
    await engine?.close();
    this.#emitStatus();
  }

  /** Answers a request: the store's life here, everything else by the engine. */
  async handle(request: Request): Promise<unknown> {
    if (!isHostRequest(request)) {
      const engine = this.#engine;
      if (engine === undefined)
        throw new EngineError(ENGINE_ERRORS.NOT_READY, 'Parley is locked or still starting');
      const result = await engine.handle(request);
      return request.type === 'settings'
        ? { ...(result as object), passphrase: this.passphraseSet() }
        : result;
    }
    switch (request.type) {
      case 'status':
        return this.status();
      case 'unlock':
        await this.open(request.params.passphrase);
        return null;
      case 'lock':
        return this.#serial(async () => {
          if (this.#db === undefined || !hasPassphrase(this.#db))
            throw new EngineError('INVALID_INPUT', 'set a passphrase before locking');
          await this.#close({ kind: 'locked' });
          return null;
        });
      case 'setPassphrase':
        return this.#serial(async () => {
          const next = request.params.next;
          if (this.#db === undefined) throw new EngineError(ENGINE_ERRORS.NOT_READY, 'not open');
          if (next !== undefined && next.length < 8)
            throw new EngineError('INVALID_INPUT', 'use at least 8 characters');
          await changePassphrase(this.#db, request.params.current, next);
          return null;
        });
      case 'wipe':
        await this.#serial(() => this.#wipe());
        return null;
      case 'deleteAccount':
        await this.#serial(async () => {
          if (this.#engine === undefined)
            throw new EngineError(ENGINE_ERRORS.NOT_READY, 'Parley is locked');
          await this.#engine.deleteAccount();
          await this.#wipe();
        });
        return null;
    }
  }

  passphraseSet(): boolean {
    return this.#db !== undefined && hasPassphrase(this.#db);
  }

  async #wipe(): Promise<void> {
    await this.#close({ kind: 'starting' });
    await wipeStore(this.#pool);
    await this.#open();
  }
}
