/**
 * Key transparency in the SDK (issue 13, draft-ietf-keytrans-protocol-05 through
 * `@parley/keytrans`). Every key the SDK is about to encrypt to is checked against the log:
 * resolving a username (`username → account id`), the account key (`account id → key`) and the
 * device list (`account id → version and hash`) each come with a Search proof that must verify
 * and must show the value the relay served; otherwise sending stops with a `KT_*` error, and
 * nothing is stored. Labels looked up are monitored (contact monitoring), and the account's own
 * labels are checked against what this device holds.
 *
 * The log's configuration is pinned on first contact: once a relay has shown a log, a relay
 * that stops showing one (or shows another) is refused, never fallen back from.
 */
import { constantTimeEqual, fromBase64 } from '@parley/bytes';
import {
  KeyTransError,
  LabelKind,
  accountKeyLabel,
  checkConfiguration,
  compareHeadsWithProof,
  contactMonitorRequest,
  createSuite,
  decodeAccountKeyValue,
  decodeConfiguration,
  decodeDeviceListValue,
  decodeHeadConsistencyProof,
  decodeMonitorResponse,
  decodeSearchResponse,
  decodeUsernameValue,
  deviceListLabel,
  encodeContactMonitorRequest,
  encodeHeadConsistencyRequest,
  encodeSearchRequest,
  overdueMonitoring,
  parseLabel,
  usernameLabel,
  verifyContactMonitor,
  verifySearch,
  type ClientContext as KtContext,
  type Configuration,
  type HeadState,
} from '@parley/keytrans';
import type { ClientContext } from './context.js';
import { ClientError, describeAnswer } from './errors.js';
import { KT_MONITOR_ALLOWANCE_RMW, KT_REVERIFY_MS } from './limits.js';
import type { StorageWriter } from './storage.js';
import {
  headsToProve,
  ktFork,
  noteConsistency,
  noteOwnHead,
  refuseAfterFork,
  type KtFork,
  type UnprovenHead,
} from './transparency-gossip.js';
import type { KtTransport } from './transparency-transport.js';
import {
  BackendKeyTransStore,
  StagedKeyTransStore,
  commitKeyTrans,
  putConfig,
  putMonitorRun,
  type MonitorRun,
  type VerifiedValue,
} from './transparency-store.js';

/** `if-available`: verify when the relay has a log (and from then on, always); `required`; `off`. */
export type KtPolicy = 'required' | 'if-available' | 'off';

export { KT_MONITOR_ALLOWANCE_RMW, KT_REVERIFY_MS } from './limits.js';
/**
 * Most versions of one of its own labels the owner checks in one run: more, since its last check,
 * than a device makes is itself an alarm (`KT_MISMATCH`).
 */
export const KT_MAX_OWN_VERSIONS = 16;

/** What a label must hold; `history`: the owner's test of every version since its last check. */
interface LabelCheck {
  readonly label: Uint8Array;
  readonly matches: (value: Uint8Array) => boolean;
  readonly history?: (value: Uint8Array, previous: Uint8Array) => boolean;
}

/**
 * A label's transparency status as shown to the user; `log forked` once gossip proved the log
 * showed two views (then nothing it vouches for counts as verified).
 */
export type KtLabelStatus = 'verified' | 'not verified' | 'cannot verify' | 'log forked';

export interface KtStatus {
  readonly enabled: boolean;
  readonly mode?: 'contact monitoring' | 'third-party auditing';
  /** The log's Reasonable Monitoring Window (ms): how often to monitor. */
  readonly rmw?: number;
  readonly treeSize?: number;
  readonly lastRun?: MonitorRun;
  /** Labels whose monitoring is overdue ("cannot verify"), described. */
  readonly overdue: readonly string[];
  readonly monitored: number;
  /** A fork seen through gossip, with both signed heads as evidence. */
  readonly fork?: KtFork;
}

export interface KtMonitorReport {
  readonly checked: number;
  /**
   * What could not be checked, and why: the client's code, and when the log or relay refused,
   * what it answered (`HTTP 503 KT_UNAVAILABLE (INTERNAL)`), so a "cannot verify" can be traced.
   */
  readonly failed: readonly KtMonitorFailure[];
}

export interface KtMonitorFailure {
  readonly label: string;
  readonly code: string;
  readonly answer?: string;
}

function describe(label: Uint8Array): string {
  const { kind, id } = parseLabel(label);
  if (kind === LabelKind.username) return `username ${id}`;
  if (kind === LabelKind.accountKey) return `account key of ${id}`;
  return `device list of ${id}`;
}

export class Transparency {
  readonly #c: ClientContext;
  readonly #transport: KtTransport;
  readonly #policy: KtPolicy;
  #chain: Promise<unknown> = Promise.resolve();
  /** The relay said it has no log (asked once per process; `if-available` only). */
  #noLog = false;

  constructor(c: ClientContext, transport: KtTransport, policy: KtPolicy) {
    this.#c = c;
    this.#transport = transport;
    this.#policy = policy;
  }

  /** One KT operation at a time: each reads the head the previous one committed. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  #store(): BackendKeyTransStore {
    return new BackendKeyTransStore(this.#c.db);
  }

  /** The log's configuration (pinned after the first answer), or undefined when KT is off here. */
  async #context(): Promise<KtContext | undefined> {
    const pinned = this.#store().config();
    let bytes = pinned;
    if (bytes === undefined) {
      if (this.#policy === 'off' || this.#noLog) return undefined;
      bytes = await this.#transport.config(this.#c.auth());
      if (bytes === undefined) {
        if (this.#policy === 'required')
          throw new ClientError('KT_UNAVAILABLE', 'the relay has no key transparency log');
        this.#noLog = true;
        return undefined;
      }
    }
    let config: Configuration;
    try {
      config = decodeConfiguration(bytes);
      checkConfiguration(config);
    } catch (e) {
      if (!(e instanceof KeyTransError)) throw e;
      throw new ClientError('KT_PROOF_INVALID', `the log's configuration is refused (${e.code})`);
    }
    if (pinned === undefined) {
      const fresh = bytes;
      this.#c.db.transact((w) => {
        putConfig(w, fresh);
      });
    }
    return { suite: createSuite(this.#c.p), config };
  }

  /**
   * Commits verified state in one transaction, unless its new head contradicts a head seen at
   * that size (gossip): then only the fork is recorded, and `KT_FORK` thrown.
   */
  #adopt(head: HeadState | undefined, commit: (w: StorageWriter) => void): void {
    const fork = this.#c.db.transact((w) => {
      if (head !== undefined && noteOwnHead(this.#c, w, head)) return true;
      commit(w);
      return false;
    });
    if (fork) refuseAfterFork(this.#c.db);
  }

  /** Whether this device verifies keys (a log is pinned, or policy requires one). */
  enabled(): boolean {
    return this.#store().config() !== undefined || this.#policy === 'required';
  }

  /** Verifies `checks` in order, each against the head the previous one verified; commits all or none. */
  #verifyAll(checks: readonly LabelCheck[]): Promise<void> {
    return this.#serial(async () => {
      const ctx = await this.#context();
      if (ctx === undefined) return;
      refuseAfterFork(this.#c.db);
      const staged = new StagedKeyTransStore(this.#store());
      let searched = false;
      for (const check of checks) searched = (await this.#check(ctx, staged, check)) || searched;
      if (searched)
        this.#adopt(staged.head(), (w) => {
          staged.commit(w);
        });
    });
  }

  /**
   * Searches `label` (unless the relay serves the value verified less than `KT_REVERIFY_MS`
   * ago) and checks that the log's greatest version is the value the relay served; stages the
   * new head and monitoring state. Returns whether it searched.
   */
  async #check(
    ctx: KtContext,
    staged: StagedKeyTransStore,
    { label, matches, history }: LabelCheck,
  ): Promise<boolean> {
    const now = this.#c.now();
    const cached = this.#store().verified(label);
    if (
      history === undefined &&
      cached !== undefined &&
      now - cached.at < KT_REVERIFY_MS &&
      safely(matches, cached.value)
    )
      return false;
    const last = staged.head()?.treeHead.treeSize;
    const answer = await this.#transport.query(
      this.#c.auth(),
      'search',
      encodeSearchRequest({ label, ...(last === undefined ? {} : { last }) }),
      describe(label),
    );
    let verified;
    try {
      verified = verifySearch(
        ctx,
        staged,
        label,
        undefined,
        decodeSearchResponse(ctx.config.mode, false, answer),
        now,
      );
    } catch (e) {
      if (!(e instanceof KeyTransError)) throw e;
      throw new ClientError(
        'KT_PROOF_INVALID',
        `the transparency proof for the ${describe(label)} does not verify (${e.code}); not sending`,
        e.code,
      );
    }
    if (!safely(matches, verified.output.value))
      throw new ClientError(
        'KT_MISMATCH',
        `the relay served a ${describe(label)} that is not the one in the transparency log; not sending`,
      );
    staged.stage(verified.changes);
    if (history !== undefined && cached !== undefined)
      await this.#checkHistory(ctx, staged, label, cached, verified.output.version, history);
    staged.stage(
      {},
      {
        label,
        value: { value: verified.output.value, version: verified.output.version, at: now },
      },
    );
    return true;
  }

  /**
   * The owner's check of the versions of its own label created since it last verified one
   * (`previous`) and before the greatest: each is searched at its fixed version and must be a
   * value this device accepts, so a malicious version followed by a benign one is caught.
   */
  async #checkHistory(
    ctx: KtContext,
    staged: StagedKeyTransStore,
    label: Uint8Array,
    previous: VerifiedValue,
    greatest: number,
    accept: (value: Uint8Array, previous: Uint8Array) => boolean,
  ): Promise<void> {
    if (greatest < previous.version)
      throw new ClientError(
        'KT_MISMATCH',
        `the log shows an older version of your ${describe(label)} than this device verified`,
      );
    const between = greatest - previous.version - 1;
    if (between > KT_MAX_OWN_VERSIONS)
      throw new ClientError(
        'KT_MISMATCH',
        `the log holds ${between} versions of your ${describe(label)} since this device last checked, more than it made`,
      );
    for (let version = previous.version + 1; version < greatest; version++) {
      const last = staged.head()?.treeHead.treeSize;
      const answer = await this.#transport.query(
        this.#c.auth(),
        'search',
        encodeSearchRequest({ label, version, ...(last === undefined ? {} : { last }) }),
        describe(label),
      );
      let verified;
      try {
        verified = verifySearch(
          ctx,
          staged,
          label,
          version,
          decodeSearchResponse(ctx.config.mode, true, answer),
          this.#c.now(),
        );
      } catch (e) {
        if (!(e instanceof KeyTransError)) throw e;
        throw new ClientError(
          'KT_PROOF_INVALID',
          `the transparency proof for a version of your ${describe(label)} does not verify (${e.code})`,
          e.code,
        );
      }
      if (!safely((v) => accept(v, previous.value), verified.output.value))
        throw new ClientError(
          'KT_MISMATCH',
          `the log holds a version of your ${describe(label)} that this device did not make`,
        );
      staged.stage(verified.changes);
    }
  }

  /** Checks that `username` maps to `accountId` and the account's key is `identityKey` (base64). */
  verifyAccount(username: string, accountId: string, identityKey: string): Promise<void> {
    return this.#verifyAll([
      this.#usernameCheck(username, accountId),
      this.#accountKeyCheck(accountId, identityKey),
    ]);
  }

  /** Checks that `accountId`'s account key in the log is `identityKey` (base64, 33 bytes). */
  verifyAccountKey(accountId: string, identityKey: string): Promise<void> {
    return this.#verifyAll([this.#accountKeyCheck(accountId, identityKey)]);
  }

  /** Checks that `accountId`'s device list in the log has this version and blob hash. */
  verifyDeviceList(accountId: string, blob: string, version: number): Promise<void> {
    return this.#verifyAll([this.#deviceListCheck(accountId, blob, version)]);
  }

  #usernameCheck(username: string, accountId: string) {
    return {
      label: usernameLabel(username.toLowerCase()),
      matches: (v: Uint8Array) => decodeUsernameValue(v) === accountId,
    };
  }

  #accountKeyCheck(accountId: string, identityKey: string) {
    const key = fromBase64(identityKey);
    return {
      label: accountKeyLabel(accountId),
      matches: (v: Uint8Array) => {
        const logged = decodeAccountKeyValue(v).publicKey;
        return logged.length === key.length && constantTimeEqual(logged, key);
      },
    };
  }

  #deviceListCheck(accountId: string, blob: string, version: number) {
    const hash = this.#c.p.hash('sha256', fromBase64(blob));
    return {
      label: deviceListLabel(accountId),
      matches: (v: Uint8Array) => {
        const logged = decodeDeviceListValue(v);
        return logged.version === version && constantTimeEqual(logged.hash, hash);
      },
    };
  }

  /**
   * The owner's check of its own labels, committed together: always searched (never answered
   * from the cache), and every version since the last check must be one this device accepts:
   * its username's account, its account key, device-list versions in order up to the current.
   */
  checkOwn(deviceList: { blob: string; version: number }): Promise<void> {
    const a = this.#c.requireAccount();
    const username = this.#usernameCheck(a.username, a.accountId);
    const key = this.#accountKeyCheck(a.accountId, a.accountKey);
    const list = this.#deviceListCheck(a.accountId, deviceList.blob, deviceList.version);
    return this.#verifyAll([
      { ...username, history: username.matches },
      { ...key, history: key.matches },
      {
        ...list,
        history: (v, previous) => {
          const version = decodeDeviceListValue(v).version;
          return version > decodeDeviceListValue(previous).version && version <= deviceList.version;
        },
      },
    ]);
  }

  /**
   * Proves a contact's gossiped head of another size in (or out of) this device's history with
   * the log's head-consistency proof; records the outcome (a fork: `KT_FORK` from then on).
   * Throws `KT_UNAVAILABLE` (no answer) or `KeyTransError` (a proof that does not verify: the
   * head stays unproven, never counted as consistent).
   */
  async #prove(ctx: KtContext, other: UnprovenHead): Promise<'same' | 'fork'> {
    const own = this.#store().head();
    if (own === undefined) return 'same';
    const ownSize = own.treeHead.treeSize;
    const answer = await this.#transport.query(
      this.#c.auth(),
      'head-consistency',
      encodeHeadConsistencyRequest({ ownSize, otherSize: other.head.treeSize }),
      `log's history between sizes ${ownSize} and ${other.head.treeSize}`,
    );
    const proof = decodeHeadConsistencyProof(answer);
    const outcome = compareHeadsWithProof(ctx.suite, own, other.head, proof);
    this.#c.db.transact((w) => {
      // Only this serial chain adopts heads, so `own` is still the adopted one.
      noteConsistency(this.#c, w, own, other, outcome, proof);
    });
    return outcome;
  }

  /**
   * Contact monitoring of every label this device looked up (-05 §8.2), then the proof of every
   * contact's gossiped head of another size (heads of one size are compared when they arrive),
   * then a search of the account's own labels against what this device holds. Failures are
   * reported per label or head, never as success; a label that cannot be monitored stays due and
   * shows as "cannot verify", a head that cannot be proven is tried again at the next run.
   */
  monitor(): Promise<KtMonitorReport> {
    return this.#serial(async () => {
      const ctx = await this.#context();
      if (ctx === undefined) return { checked: 0, failed: [] };
      const failed: KtMonitorFailure[] = [];
      let checked = 0;
      for (const contact of this.#store().contacts()) {
        const store = this.#store();
        const request = contactMonitorRequest(store, contact.label);
        if (request === undefined) continue;
        checked++;
        try {
          const answer = await this.#transport.query(
            this.#c.auth(),
            'contact-monitor',
            encodeContactMonitorRequest(request),
            describe(contact.label),
          );
          const verified = verifyContactMonitor(
            ctx,
            store,
            contact.label,
            decodeMonitorResponse(ctx.config.mode, answer),
            this.#c.now(),
          );
          this.#adopt(verified.changes.head, (w) => {
            commitKeyTrans(w, verified.changes);
          });
        } catch (e) {
          failed.push(failure(describe(contact.label), e));
        }
      }
      const own = this.#store().head();
      if (own !== undefined && ktFork(this.#c.db) === undefined) {
        for (const other of headsToProve(this.#c.db, own.treeHead.treeSize)) {
          checked++;
          const what = `head of size ${other.head.treeSize} gossiped by account ${other.from}`;
          try {
            if ((await this.#prove(ctx, other)) === 'fork') {
              failed.push({ label: what, code: 'KT_FORK' });
              break;
            }
          } catch (e) {
            failed.push(failure(what, e));
          }
        }
      }
      const run: MonitorRun = {
        at: this.#c.now(),
        checked,
        failed: failed.map(
          (f) => `${f.label}: ${f.code}${f.answer === undefined ? '' : ` [${f.answer}]`}`,
        ),
      };
      this.#c.db.transact((w) => {
        putMonitorRun(w, run);
      });
      return { checked, failed };
    });
  }

  /** The transparency status of one account's labels, for `verify`. */
  labelStatus(accountId: string, username: string): KtLabelStatus {
    if (!this.enabled()) return 'not verified';
    if (ktFork(this.#c.db) !== undefined) return 'log forked';
    const store = this.#store();
    const labels = [usernameLabel(username.toLowerCase()), accountKeyLabel(accountId)];
    if (labels.some((l) => store.verified(l) === undefined)) return 'not verified';
    const config = store.config();
    if (config === undefined) return 'not verified';
    const rmw = decodeConfiguration(config).reasonableMonitoringWindow;
    const late = overdueMonitoring(store, this.#c.now(), KT_MONITOR_ALLOWANCE_RMW * rmw);
    const ours = new Set(labels.map((l) => l.join(',')));
    return late.some((l) => ours.has(l.join(','))) ? 'cannot verify' : 'verified';
  }

  status(): KtStatus {
    const store = this.#store();
    const config = store.config();
    if (config === undefined) return { enabled: false, overdue: [], monitored: 0 };
    const c = decodeConfiguration(config);
    const head = store.head();
    const lastRun = store.lastRun();
    const fork = ktFork(this.#c.db);
    const late = overdueMonitoring(
      store,
      this.#c.now(),
      KT_MONITOR_ALLOWANCE_RMW * c.reasonableMonitoringWindow,
    );
    return {
      enabled: true,
      mode: c.mode === 3 ? 'third-party auditing' : 'contact monitoring',
      rmw: c.reasonableMonitoringWindow,
      ...(head === undefined ? {} : { treeSize: head.treeHead.treeSize }),
      ...(lastRun === undefined ? {} : { lastRun }),
      overdue: late.map(describe),
      monitored: store.contacts().filter((s) => s.entries.length > 0).length,
      ...(fork === undefined ? {} : { fork }),
    };
  }
}

/** A decoder that throws on a malformed value counts as a mismatch. */
function safely(matches: (value: Uint8Array) => boolean, value: Uint8Array): boolean {
  try {
    return matches(value);
  } catch {
    return false;
  }
}

function failure(label: string, e: unknown): KtMonitorFailure {
  const answer = e instanceof ClientError && e.answer !== undefined ? e.answer : undefined;
  return {
    label,
    code: codeOf(e),
    ...(answer === undefined ? {} : { answer: describeAnswer(answer) }),
  };
}

function codeOf(e: unknown): string {
  if (e instanceof ClientError) return e.code;
  if (e instanceof KeyTransError) return `KT_PROOF_INVALID (${e.code})`;
  return 'INTERNAL';
}
