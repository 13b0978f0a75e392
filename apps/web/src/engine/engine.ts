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
  clientLimits,
  LiveConnection,
  ParleyClient,
  RelayHttp,
  type BinaryFetchLike,
  type ClientEvent,
  type FetchLike,
  type SocketFactory,
  type StorageBackend,
} from '@parley/client';
import type { Primitives } from '@parley/primitives';
import { bounded, EngineError, usernames } from './engine-error.js';
import { GroupRequests } from './group-requests.js';
import { ExpiryTimer } from './expiry.js';
import { MessageActions } from './message-actions.js';
import { describeTimerChange } from './timer-text.js';
import { describeChange, describeRefusal } from './group-text.js';
import { HistoryIndex } from './history-index.js';
import {
  MAX_QUERY_CHARS,
  MAX_REACTION_CHARS,
  MAX_SEARCH_HITS,
  MAX_TIMELINE_PAGE,
  MAX_USERNAME_CHARS,
  SUMMARY_RECENT,
} from './limits.js';
import { Mirror } from './mirror.js';
import { EngineProfiles } from './profiles.js';
import { ObservedBackend } from './observed-backend.js';
import {
  ENGINE_ERRORS,
  directId,
  groupConvId,
  parseConvId,
  type AccountView,
  type ConnectionState,
  type ConversationId,
  type EngineEvent,
  type EnginePhase,
  type EngineRequest,
  type EngineStatus,
  type Requests,
} from './protocol.js';
import { notProfile, profileKeysWritten, SDK_NS, SDK_PROFILE_NS } from './sdk-records.js';
import { webRecords } from './web-records.js';
import { BackgroundGate, INTERACTIVE_REQUESTS } from './background-gate.js';
import { TransparencyLoader } from './transparency-loader.js';

/** Re-exported: the engine's hosts import it from here. */
export { EngineError };

/**
 * The relay's WebSocket close codes this engine acts on (`WS_CLOSE` in `@parley/api`, which the
 * web client does not depend on directly): this device was removed; the credentials were refused.
 */
const WS_CLOSE_DEVICE_REMOVED = 4003;
const WS_CLOSE_UNAUTHORIZED = 4001;

/** The relay refused this device's credentials (as it does once the device is removed). */
function refusedCredentials(error: unknown): boolean {
  return (
    error instanceof ClientError && error.code === 'RELAY' && error.relayCode === 'UNAUTHORIZED'
  );
}

export interface EngineOptions {
  /** The open, encrypted store. */
  readonly backend: StorageBackend;
  readonly sqlite3: Sqlite3Static;
  readonly primitives: Primitives;
  /** The relay's base URL (the page's origin in the browser). */
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  /** A fetch that carries bytes, for attachments (default: the runtime's, bound). */
  readonly binaryFetch?: BinaryFetchLike;
  readonly socket: SocketFactory;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly emit: (event: EngineEvent) => void;
}

export class Engine {
  readonly #o: EngineOptions;
  readonly #client: ParleyClient;
  readonly #index: HistoryIndex;
  readonly #mirror: Mirror;
  #live: LiveConnection | undefined;
  #connection: ConnectionState = 'offline';
  #wasOnline = false;
  #linking: string | undefined;
  #catchUp: Promise<void> | undefined;
  #catchUpAgain = false;
  #closed = false;
  /** The background history index under way (never rejects), once started. */
  #indexing: Promise<void> | undefined;
  /** The index's progress last told to the tabs, in percent. */
  #indexedPercent = -1;
  /** Runs the SDK's sweep when the next disappearing message expires. */
  readonly #expiry: ExpiryTimer;
  readonly #actions: MessageActions;
  readonly #groups: GroupRequests;
  readonly #profiles: EngineProfiles;
  /** Key transparency: monitoring on a timer, status requests (its code loads after the list). */
  readonly #kt: TransparencyLoader;
  /** The priority lane: background work holds back while a person waits on an answer. */
  readonly #gate: BackgroundGate;
  /** Requests being answered; closing waits for them before the store goes. */
  readonly #inflight = new Set<Promise<unknown>>();

  constructor(options: EngineOptions) {
    this.#o = options;
    // A monotonic clock: `now` may be a test's wall clock.
    this.#gate = new BackgroundGate({ now: () => performance.now(), sleep: options.sleep });
    this.#index = new HistoryIndex(options.sqlite3);
    const observed = new ObservedBackend(
      options.backend,
      [...Object.values(SDK_NS), SDK_PROFILE_NS],
      (all) => {
        this.#mirror.onCommit(all.filter(notProfile));
        this.#expiry.arm();
        this.#profiles.keysArrived(profileKeysWritten(all));
      },
      (w, writes) => {
        this.#mirror.summarise(
          w,
          writes.filter((x) => notProfile(x.change)),
        );
      },
    );
    this.#client = new ParleyClient({
      backend: observed,
      primitives: options.primitives,
      relay: new RelayHttp(options.baseUrl, options.fetch),
      // The global fetch, called as a method of something else, throws in browsers: bound here.
      binaryFetch: options.binaryFetch ?? ((url, init) => fetch(url, init as RequestInit)),
      ...(options.now && { now: options.now }),
    });
    this.#mirror = new Mirror(
      options.backend,
      this.#index,
      options.emit,
      () => {
        const a = this.#client.account;
        return a && { accountId: a.accountId, username: a.username };
      },
      () => this.#now(),
    );
    this.#actions = new MessageActions({
      client: this.#client,
      mirror: this.#mirror,
      index: this.#index,
      requireAccount: () => {
        this.#requireAccount();
      },
      requireConnected: () => {
        this.#requireConnected();
      },
      online: () => this.#connection === 'online',
      flush: () => this.#flush(),
      fullyIndexed: () => this.#fullyIndexed(),
    });
    this.#groups = new GroupRequests({
      client: this.#client,
      mirror: this.#mirror,
      requireAccount: () => this.#requireAccount(),
      onEvent: (e) => {
        this.#onClientEvent(e);
      },
    });
    this.#expiry = new ExpiryTimer({
      nextExpiry: () => this.#mirror.nextExpiry(),
      sweep: () => {
        this.#client.sweepExpired();
      },
      now: () => this.#now(),
    });
    this.#profiles = new EngineProfiles({
      client: this.#client,
      emit: options.emit,
      now: () => this.#now(),
      target: (conv) => this.#target(conv),
      username: (accountId) => this.#mirror.username(accountId),
      removed: () => this.#connection === 'removed',
    });
    this.#kt = new TransparencyLoader({ client: this.#client, notice: (t) => this.#notice(t) });
    this.#mirror.start();
  }

  /**
   * Starts indexing the history in the background, and live delivery if there is an account
   * (and the relay has not removed this device).
   */
  start(): void {
    this.#indexing ??= this.#mirror
      .indexHistory(
        () => this.#gate.pause(),
        (p) => {
          const percent = this.#indexPercent(p.done, p.total);
          if (percent === this.#indexedPercent) return;
          this.#indexedPercent = percent;
          this.#emitStatus();
        },
        () => this.#closed,
      )
      .then(
        () => {
          if (this.#closed) return;
          this.#emitStatus();
          // Every stored timer is known now: anything that ran out while closed goes.
          this.#expiry.arm();
        },
        (error: unknown) => {
          // Search and older pages stay partial; say so without the error's text.
          console.error('parley engine: indexing failed', error instanceof Error ? error.name : '');
        },
      );
    if (webRecords.removed(this.#o.backend)) this.#setConnection('removed');
    else if (this.#client.account !== undefined) this.#startLive();
    this.#expiry.arm();
  }

  /**
   * The live socket closed with `code`. `DEVICE_REMOVED` says this device was just removed;
   * `UNAUTHORIZED` (the relay no longer knows our credentials, as after a removal while we were
   * away) is confirmed by an authenticated request before it counts.
   */
  socketClosed(code: number): void {
    if (this.#closed || this.#connection === 'removed') return;
    if (code === WS_CLOSE_DEVICE_REMOVED) this.#deviceRemoved();
    else if (code === WS_CLOSE_UNAUTHORIZED) void this.#confirmRemoved();
  }

  async #confirmRemoved(): Promise<void> {
    try {
      await this.#client.devices();
    } catch (error) {
      if (refusedCredentials(error)) this.#deviceRemoved();
    }
  }

  /** Stops for good: no connection, no sending; kept in the store, told to the tabs. */
  #deviceRemoved(): void {
    if (this.#closed || this.#connection === 'removed') return;
    this.#live?.stop();
    this.#o.backend.transact((w) => {
      webRecords.putRemoved(w);
    });
    this.#setConnection('removed');
    this.#notice(
      'This browser was removed from your account by another of your devices. It no longer sends or receives messages; wipe its local data (Settings) to link it again.',
    );
  }

  #requireConnected(): void {
    if (this.#connection === 'removed')
      throw new EngineError(
        ENGINE_ERRORS.DEVICE_REMOVED,
        'this browser was removed from your account',
      );
  }

  /** Stops live delivery, waits for what it received to be processed, closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#expiry.stop();
    this.#profiles.close();
    this.#kt.close();
    this.#live?.stop();
    await this.#live?.settled();
    await this.#catchUp?.catch(() => undefined);
    await Promise.allSettled([...this.#inflight]);
    await this.#indexing;
    this.#index.close();
    this.#o.backend.close();
  }

  status(): EngineStatus {
    const a = this.#account();
    const phase: EnginePhase =
      a !== undefined
        ? { kind: 'ready', account: a }
        : this.#linking !== undefined
          ? { kind: 'linking', code: this.#linking }
          : { kind: 'new' };
    const { done, total } = this.#mirror.progress;
    return {
      phase,
      connection: this.#connection,
      ...(!this.#mirror.indexed && { indexing: this.#indexPercent(done, total) }),
    };
  }

  /** Percent of the stored history indexed (never 100 until it is all in). */
  #indexPercent(done: number, total: number): number {
    return total === 0 ? 0 : Math.min(99, Math.floor((done / total) * 100));
  }

  /** Waits for the whole history to be in the index (older pages, a message not indexed yet). */
  async #fullyIndexed(): Promise<void> {
    if (!this.#mirror.indexed) await this.#indexing;
  }

  /** Deletes the account at the relay (the host wipes the store afterwards). */
  async deleteAccount(): Promise<void> {
    this.#requireAccount();
    this.#live?.stop();
    await this.#client.deleteAccount();
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
    // A closed engine's socket still reports its end; its store is gone, and so is its say.
    // A removed device stays removed, whatever its last socket reports after.
    if (state === this.#connection || this.#closed || this.#connection === 'removed') return;
    this.#connection = state;
    this.#emitStatus();
  }

  #notice(text: string, conv?: ConversationId, level: 'info' | 'warning' = 'warning'): void {
    this.#o.emit({
      type: 'notice',
      notice: {
        id: crypto.randomUUID(),
        at: this.#now(),
        level,
        text,
        ...(conv !== undefined && { conv }),
      },
    });
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  #startLive(): void {
    if (this.#live !== undefined || this.#closed) return;
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
          if (!this.#wasOnline) void this.#profiles.readAll(this.#mirror.conversations());
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
          // Fetching and decrypting what queued up can take a while: not while a person waits.
          await this.#gate.pause();
          if (this.#closed) break;
          for (const e of await this.#client.receive()) this.#onClientEvent(e);
        } catch (error) {
          // The relay or a peer failed (retried at the next connection); anything else is a bug
          // worth seeing, without its message (which could name a contact).
          if (refusedCredentials(error)) void this.#confirmRemoved();
          if (!(error instanceof ClientError))
            console.error(
              'parley engine: catch-up failed',
              error instanceof Error ? error.name : '',
            );
        }
      } while (this.#again() && !this.#closed);
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
    const self = this.#client.account?.username ?? '';
    this.#profiles.onClientEvent(e);
    switch (e.type) {
      case 'dropped': {
        const who = this.#mirror.username(e.senderAccountId) ?? 'an unknown account';
        this.#notice(`A message from ${who} was refused: ${e.reason}.`);
        break;
      }
      case 'deferred': {
        const who = this.#mirror.username(e.senderAccountId) ?? 'an unknown account';
        this.#notice(
          `A message from ${who} could not be checked yet; it is kept and tried again.`,
          undefined,
          'info',
        );
        break;
      }
      case 'key-changed':
        this.#notice(
          `${e.username}'s key changed. Compare safety numbers before you send to them again.`,
        );
        break;
      case 'account-key-changed':
        this.#notice('Your account key was replaced by your primary device.', undefined, 'info');
        break;
      case 'group-change': {
        const conv = groupConvId(e.groupId);
        const id = `change-${String(e.epoch)}-${e.change}-${e.users.join(',')}`;
        this.#mirror.addEvent(conv, id, describeChange(e, self), this.#now());
        break;
      }
      case 'group-refused': {
        const conv = groupConvId(e.groupId);
        const text = describeRefusal(e.code);
        this.#mirror.addEvent(conv, `refused-${e.code}-${String(this.#now())}`, text, this.#now());
        this.#notice(`${e.group}: ${text}`, conv);
        break;
      }
      case 'timer-changed': {
        const conv =
          e.groupId !== undefined
            ? groupConvId(e.groupId)
            : e.peer !== undefined
              ? directId(e.peer)
              : undefined;
        if (conv !== undefined) this.#timerChanged(conv, e.by === self ? 'You' : e.by, e.seconds);
        break;
      }
      case 'group-send-failed':
        this.#notice(
          `${e.group}: a message could not be sent (${e.code}).`,
          groupConvId(e.groupId),
        );
        break;
      default:
        break;
    }
  }

  /** Answers one request. Errors are `EngineError` or the SDK's `ClientError`. */
  async handle(request: EngineRequest): Promise<unknown> {
    if (this.#closed) throw new EngineError(ENGINE_ERRORS.NOT_READY, 'Parley is closing');
    const interactive = INTERACTIVE_REQUESTS.has(request.type);
    if (interactive) this.#gate.touch();
    const answer = this.#answer(request);
    this.#inflight.add(answer);
    try {
      return await answer;
    } finally {
      this.#inflight.delete(answer);
      // Quiet is counted from the answer too: the page draws it next.
      if (interactive) this.#gate.touch();
    }
  }

  async #answer(request: EngineRequest): Promise<unknown> {
    switch (request.type) {
      case 'register':
        return this.#register(request.params.username);
      case 'startLink':
        return this.#startLink();
      case 'approveLink':
        this.#requireAccount();
        return { deviceId: await this.#client.approveLink(request.params.code.trim()) };
      case 'devices':
        return this.#devices();
      case 'removeDevice':
        this.#requireAccount();
        await this.#client.removeDevice(request.params.deviceId);
        return null;
      case 'settings':
        return {
          readReceipts: webRecords.settings(this.#o.backend).readReceipts,
          typingIndicators: this.#client.settings().typingIndicators,
          passphrase: false,
        };
      case 'setReadReceipts':
        this.#o.backend.transact((w) => {
          webRecords.putSettings(w, { readReceipts: request.params.on });
        });
        return null;
      case 'profiles':
      case 'ownProfile':
      case 'setProfile':
      case 'typing':
      case 'setTypingIndicators':
        return this.#profiles.answer(request);
      case 'about':
        return { sqlite: this.#o.sqlite3.version.libVersion };
      case 'conversations':
        this.#requireAccount();
        this.#kt.start(); // after the tabs' first list, so never before it paints
        return this.#mirror.conversations();
      case 'openDirect':
        return this.#openDirect(request.params.username);
      case 'timeline':
        return this.#timeline(request.params);
      case 'send':
        return this.#actions.send(request.params);
      case 'react': {
        const emoji = bounded(request.params.emoji, MAX_REACTION_CHARS, 'the reaction');
        if (emoji === '') throw new EngineError('INVALID_INPUT', 'choose a reaction');
        await this.#actions.act(request.params.conv, request.params.id, {
          kind: 'reaction',
          emoji,
          remove: request.params.remove,
        });
        return null;
      }
      case 'edit':
        if (request.params.text.trim() === '')
          throw new EngineError('INVALID_INPUT', 'the message is empty');
        await this.#actions.act(request.params.conv, request.params.id, {
          kind: 'edit',
          text: request.params.text,
        });
        return null;
      case 'deleteMessage':
        await this.#actions.act(request.params.conv, request.params.id, { kind: 'delete' });
        return null;
      case 'attachment':
        return this.#actions.attachment(
          request.params.conv,
          request.params.id,
          request.params.index,
        );
      case 'markRead':
        return this.#markRead(request.params.conv);
      case 'retry':
        return this.#actions.retry(request.params.conv, request.params.id);
      case 'search':
        return this.#search(request.params.query, request.params.limit);
      case 'checkContact':
        this.#requireAccount();
        await this.#client.checkContact(request.params.username);
        void this.#profiles.seen(request.params.username);
        return null;
      case 'safetyNumber':
        return this.#safetyNumber(request.params.username);
      case 'ktStatus':
      case 'ktMonitor':
      case 'contactTransparency':
        return this.#kt.answer(request);
      case 'markVerified':
        this.#requireAccount();
        this.#mirror.setVerified(request.params.username.toLowerCase(), request.params.verified);
        return null;
      case 'acceptKey':
        this.#requireAccount();
        this.#client.acceptKey(request.params.username);
        this.#mirror.setVerified(request.params.username.toLowerCase(), false);
        await this.#flush();
        return null;
      case 'createGroup':
        return this.#groups.create(request.params.name, request.params.members);
      case 'groupInfo':
        // The rosters come from MLS state: the SDK's group code loads on first use.
        await this.#client.prepareGroups();
        return this.#groups.info(request.params.conv);
      case 'addMembers':
        await this.#groups.change(this.#groups.groupId(request.params.conv), (g) =>
          this.#client.addToGroup(g, usernames(request.params.usernames)),
        );
        return null;
      case 'removeMembers':
        await this.#groups.change(this.#groups.groupId(request.params.conv), (g) =>
          this.#client.removeFromGroup(g, usernames(request.params.usernames)),
        );
        return null;
      case 'leaveGroup':
        await this.#groups.change(this.#groups.groupId(request.params.conv), (g) =>
          this.#client.leaveGroup(g),
        );
        return null;
      case 'disappearingTimer':
        this.#requireAccount();
        return { seconds: this.#client.disappearingTimer(this.#target(request.params.conv)) };
      case 'setDisappearingTimer':
        return this.#setTimer(request.params.conv, request.params.seconds);
      default:
        return request satisfies never;
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

  async #startLink(): Promise<{ code: string }> {
    if (this.#client.account !== undefined)
      throw new EngineError('MISUSE', 'this browser already has an account');
    if (this.#linking !== undefined) return { code: this.#linking };
    const pending = await this.#client.startLink();
    this.#linking = pending.code;
    this.#emitStatus();
    pending.complete().then(
      () => {
        this.#linking = undefined;
        this.#emitStatus();
        this.#startLive();
      },
      (error: unknown) => {
        this.#linking = undefined;
        this.#emitStatus();
        this.#notice(
          error instanceof ClientError
            ? `Linking this browser did not complete: ${error.message}.`
            : 'Linking this browser did not complete.',
        );
      },
    );
    return { code: pending.code };
  }

  async #devices(): Promise<Requests['devices']['result']> {
    const me = this.#requireAccount();
    return (await this.#client.devices()).map((d) => ({
      ...d,
      current: d.deviceId === me.deviceId,
    }));
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
    const summary = this.#mirror.conversation(conv);
    if (summary === undefined) throw new EngineError(ENGINE_ERRORS.INTERNAL, 'no conversation');
    return summary;
  }

  /**
   * A page of a conversation. The newest page is in the index from the summaries at start;
   * an older page, or a page longer than a summary keeps, waits for the whole history.
   */
  async #timeline(p: Requests['timeline']['params']): Promise<Requests['timeline']['result']> {
    this.#requireAccount();
    const limit = Math.max(1, Math.min(MAX_TIMELINE_PAGE, Math.floor(p.limit)));
    if (
      p.before !== undefined ||
      limit > SUMMARY_RECENT ||
      !this.#mirror.ensureNewestPage(p.conv, limit)
    )
      await this.#fullyIndexed();
    return this.#mirror.withQuotes(this.#index.timeline(p.conv, limit, p.before));
  }

  /** Flushes both outboxes; failures leave entries queued for the next attempt. */
  async #flush(): Promise<void> {
    try {
      await this.#client.flushOutbox();
    } catch (error) {
      if (!(error instanceof ClientError)) throw error;
    }
  }

  async #markRead(conv: ConversationId): Promise<null> {
    this.#requireAccount();
    const advanced = this.#mirror.markRead(conv);
    const target = parseConvId(conv);
    // The SDK's markRead reads every stored message to find the unread ones, so it runs only
    // when something new was read (receipts for it, and for anything older still unread).
    if (
      advanced &&
      target?.kind === 'direct' &&
      webRecords.settings(this.#o.backend).readReceipts
    ) {
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
    const titles = new Map<ConversationId, string>();
    return this.#index.search(q, n).map((item) => {
      let title = titles.get(item.conv);
      if (title === undefined) {
        title = this.#index.title(item.conv) ?? '';
        titles.set(item.conv, title);
      }
      return { conv: item.conv, title, item };
    });
  }

  async #safetyNumber(username: string): Promise<Requests['safetyNumber']['result']> {
    this.#requireAccount();
    const name = username.toLowerCase();
    const n = await this.#client.safetyNumber(name);
    return {
      username: name,
      digits: n.digits,
      scannable: n.scannable,
      keyChanged: n.keyChanged,
      verified: this.#mirror.verified(name),
    };
  }

  /** The SDK's name for a conversation. */
  #target(conv: ConversationId): { username: string } | { group: string } {
    const t = parseConvId(conv);
    if (t === undefined) throw new EngineError('INVALID_INPUT', 'no such conversation');
    return t.kind === 'group' ? { group: t.groupId } : { username: t.username };
  }

  async #setTimer(conv: ConversationId, seconds: number): Promise<null> {
    this.#requireAccount();
    this.#requireConnected();
    if (
      !Number.isSafeInteger(seconds) ||
      seconds < 0 ||
      seconds > clientLimits.MAX_DISAPPEARING_SECONDS
    )
      throw new EngineError('INVALID_INPUT', 'not a timer this app can set');
    await this.#client.setDisappearingTimer(this.#target(conv), seconds);
    this.#timerChanged(conv, 'You', seconds);
    return null;
  }

  /** A timer change: a line in the timeline, and the new setting to the tabs' headers. */
  #timerChanged(conv: ConversationId, by: string, seconds: number): void {
    const at = this.#now();
    this.#mirror.addEvent(
      conv,
      `timer-${String(at)}-${String(seconds)}`,
      describeTimerChange(by, seconds),
      at,
    );
    this.#o.emit({ type: 'timer', conv, seconds });
  }
}
