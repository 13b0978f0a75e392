/**
 * The engine: the one place a browser profile runs the SDK. It owns the `ParleyClient` (over
 * the encrypted store, observed so the history index follows every write), the live connection
 * and the history index, answers the requests of `protocol.ts` and emits its events. Only the
 * worker that holds the engine lock creates one, so no two engines ever advance the same
 * session. Runtime-neutral: the store, `fetch`, the socket and SQLite are injected.
 */
import type { Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import {
  ClientError,
  LiveConnection,
  ParleyClient,
  RelayHttp,
  type ClientEvent,
  type FetchLike,
  type SocketFactory,
  type StorageBackend,
} from '@parley/client';
import type { Primitives } from '@parley/primitives';
import { HistoryIndex } from './history-index.js';
import {
  MAX_QUERY_CHARS,
  MAX_SEARCH_HITS,
  MAX_TIMELINE_PAGE,
  MAX_USERNAME_CHARS,
} from './limits.js';
import { Mirror } from './mirror.js';
import { ObservedBackend } from './observed-backend.js';
import {
  ENGINE_ERRORS,
  directId,
  parseConvId,
  type AccountView,
  type ConnectionState,
  type EngineEvent,
  type EngineStatus,
  type Request,
  type Requests,
} from './protocol.js';
import { SDK_NS } from './sdk-records.js';
import { webRecords } from './web-records.js';

export interface EngineOptions {
  /** The open, encrypted store. */
  readonly backend: StorageBackend;
  readonly sqlite3: Sqlite3Static;
  readonly primitives: Primitives;
  /** The relay's base URL (the page's origin in the browser). */
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  readonly socket: SocketFactory;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly emit: (event: EngineEvent) => void;
}

/** An error with a code the UI can branch on; only the code and a short sentence cross over. */
export class EngineError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function bounded(text: string, max: number, what: string): string {
  if (text.length > max) throw new EngineError('INVALID_INPUT', `${what} is too long`);
  return text;
}

export class Engine {
  readonly #o: EngineOptions;
  readonly #client: ParleyClient;
  readonly #index: HistoryIndex;
  readonly #mirror: Mirror;
  #live: LiveConnection | undefined;
  #connection: ConnectionState = 'offline';
  #wasOnline = false;
  #catchUp: Promise<void> | undefined;
  #catchUpAgain = false;

  constructor(options: EngineOptions) {
    this.#o = options;
    this.#index = new HistoryIndex(options.sqlite3);
    const observed = new ObservedBackend(options.backend, Object.values(SDK_NS), (changes) => {
      this.#mirror.onCommit(changes);
    });
    this.#client = new ParleyClient({
      backend: observed,
      primitives: options.primitives,
      relay: new RelayHttp(options.baseUrl, options.fetch),
      sleep: options.sleep,
      ...(options.now && { now: options.now }),
    });
    this.#mirror = new Mirror(options.backend, this.#index, options.emit, () => {
      const a = this.#client.account;
      return a && { accountId: a.accountId, username: a.username };
    });
    this.#mirror.rebuild();
  }

  /** Starts live delivery if there is an account. */
  start(): void {
    if (this.#client.account !== undefined) this.#startLive();
  }

  /** Stops live delivery and waits for what it received to be processed, then closes the store. */
  async close(): Promise<void> {
    this.#live?.stop();
    await this.#live?.settled();
    await this.#catchUp;
    this.#index.close();
    this.#o.backend.close();
  }

  status(): EngineStatus {
    const a = this.#account();
    return {
      phase: a === undefined ? { kind: 'new' } : { kind: 'ready', account: a },
      connection: this.#connection,
    };
  }

  #account(): AccountView | undefined {
    const a = this.#client.account;
    return (
      a && {
        username: a.username,
        deviceId: a.deviceId,
        primary: a.accountPrivateKey !== undefined,
      }
    );
  }

  #requireAccount(): AccountView {
    const a = this.#account();
    if (a === undefined) throw new EngineError(ENGINE_ERRORS.NOT_READY, 'register first');
    return a;
  }

  #emitStatus(): void {
    this.#o.emit({ type: 'status', status: this.status() });
  }

  #setConnection(state: ConnectionState): void {
    if (state === this.#connection) return;
    this.#connection = state;
    this.#emitStatus();
  }

  #startLive(): void {
    if (this.#live !== undefined) return;
    this.#live = new LiveConnection({
      client: this.#client,
      baseUrl: this.#o.baseUrl,
      socket: this.#o.socket,
      sleep: this.#o.sleep,
      onEvent: (e) => {
        this.#onClientEvent(e);
      },
      onState: (state) => {
        if (state === 'ready') {
          this.#wasOnline = true;
          this.#setConnection('online');
          this.#scheduleCatchUp();
        } else if (state === 'connecting') {
          this.#setConnection(this.#wasOnline ? 'reconnecting' : 'connecting');
        } else {
          this.#setConnection('offline');
        }
      },
    });
    this.#live.start();
  }

  /**
   * After every (re)connection: fetch anything queued, flush both outboxes, rotate keys, group
   * upkeep (`receive` does all of it). One at a time; a request while one runs runs it again.
   */
  #scheduleCatchUp(): void {
    if (this.#catchUp !== undefined) {
      this.#catchUpAgain = true;
      return;
    }
    this.#catchUp = (async () => {
      this.#catchUpAgain = false;
      do {
        try {
          for (const e of await this.#client.receive()) this.#onClientEvent(e);
        } catch (error) {
          if (!(error instanceof ClientError)) throw error;
        }
      } while (this.#again());
    })().finally(() => {
      this.#catchUp = undefined;
    });
  }

  /** Whether another catch-up was asked for while one ran (and clears the request). */
  #again(): boolean {
    const again = this.#catchUpAgain;
    this.#catchUpAgain = false;
    return again;
  }

  #onClientEvent(e: ClientEvent): void {
    if (e.type === 'dropped') {
      const who = this.#mirror.username(e.senderAccountId) ?? 'an unknown account';
      this.#o.emit({
        type: 'notice',
        notice: {
          id: crypto.randomUUID(),
          at: this.#now(),
          level: 'warning',
          text: `A message from ${who} was refused: ${e.reason}.`,
        },
      });
    }
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  /** Answers one request. Errors are `EngineError` or the SDK's `ClientError`. */
  async handle(request: Request): Promise<unknown> {
    switch (request.type) {
      case 'status':
        return this.status();
      case 'register':
        return this.#register(request.params.username);
      case 'conversations':
        this.#requireAccount();
        return this.#index.conversations();
      case 'openDirect':
        return this.#openDirect(request.params.username);
      case 'timeline':
        return this.#timeline(request.params);
      case 'send':
        return this.#send(request.params.conv, request.params.text);
      case 'markRead':
        return this.#markRead(request.params.conv);
      case 'search':
        return this.#search(request.params.query, request.params.limit);
    }
  }

  async #register(username: string): Promise<AccountView> {
    const name = bounded(username.trim(), MAX_USERNAME_CHARS, 'the username');
    if (name === '') throw new EngineError('INVALID_INPUT', 'choose a username');
    await this.#client.register(name);
    this.#emitStatus();
    this.#startLive();
    return this.#requireAccount();
  }

  async #openDirect(username: string): Promise<Requests['openDirect']['result']> {
    const me = this.#requireAccount();
    const name = bounded(username.trim().toLowerCase(), MAX_USERNAME_CHARS, 'the username');
    if (name === '' || name === me.username)
      throw new EngineError('INVALID_INPUT', 'enter someone else’s username');
    const conv = directId(name);
    if (!this.#index.hasConversation(conv)) {
      // Resolves the user at the relay and pins their account key (trust on first use).
      await this.#client.safetyNumber(name);
    }
    this.#mirror.openConversation(conv);
    const summary = this.#index.conversation(conv);
    if (summary === undefined) throw new EngineError(ENGINE_ERRORS.INTERNAL, 'no conversation');
    return summary;
  }

  #timeline(p: Requests['timeline']['params']): Requests['timeline']['result'] {
    this.#requireAccount();
    const limit = Math.max(1, Math.min(MAX_TIMELINE_PAGE, Math.floor(p.limit)));
    return this.#index.timeline(p.conv, limit, p.before);
  }

  async #send(conv: string, text: string): Promise<{ id: string }> {
    this.#requireAccount();
    const target = parseConvId(conv);
    if (target === undefined) throw new EngineError('INVALID_INPUT', 'no such conversation');
    if (text.trim() === '') throw new EngineError('INVALID_INPUT', 'the message is empty');
    if (target.kind === 'group') {
      const sent = await this.#client.sendToGroup(target.groupId, text);
      return { id: sent.messageId };
    }
    const before = new Set(this.#pendingOut(target.username));
    try {
      const sent = await this.#client.send(target.username, text);
      return { id: sent.messageId };
    } catch (error) {
      // The message may be stored and queued; find it (it is ours, new, and still pending).
      const queued = this.#pendingOut(target.username).find((id) => !before.has(id));
      if (queued === undefined) throw error;
      if (!(error instanceof ClientError) || error.code !== 'UNREACHABLE')
        this.#mirror.setFailed(
          conv,
          queued,
          error instanceof ClientError ? error.code : 'INTERNAL',
        );
      return { id: queued };
    }
  }

  /** Ids of our pending messages to `username`, as the index has them. */
  #pendingOut(username: string): string[] {
    return this.#index
      .timeline(directId(username), MAX_TIMELINE_PAGE)
      .filter((i) => i.direction === 'out' && (i.state === 'queued' || i.state === 'failed'))
      .map((i) => i.id);
  }

  async #markRead(conv: string): Promise<null> {
    this.#requireAccount();
    this.#mirror.markRead(conv);
    const target = parseConvId(conv);
    if (target?.kind === 'direct' && webRecords.settings(this.#o.backend).readReceipts) {
      try {
        await this.#client.markRead(target.username);
      } catch (error) {
        // Receipts wait in the outbox for the next flush.
        if (!(error instanceof ClientError)) throw error;
      }
    }
    return null;
  }

  #search(query: string, limit: number): Requests['search']['result'] {
    this.#requireAccount();
    const q = bounded(query, MAX_QUERY_CHARS, 'the search');
    const n = Math.max(1, Math.min(MAX_SEARCH_HITS, Math.floor(limit)));
    return this.#index.search(q, n).map((item) => ({
      conv: item.conv,
      title: this.#index.conversation(item.conv)?.title ?? '',
      item,
    }));
  }
}
