/**
 * Key transparency in the engine: contact monitoring on a timer (the log's Reasonable Monitoring
 * Window, bounded by the constants below), the status requests the tabs make, and a notice when
 * a run finds a problem (a fork, a key of ours we did not make, labels it could not verify).
 * Only the engine (the worker holding the Web Lock) runs it, so no two tabs monitor at once. A
 * chunk of its own (`transparency-loader.ts`); the SDK's verifier loads only when a log is pinned.
 */
import { ClientError, type KtStatus, type ParleyClient } from '@parley/client';
import { bounded } from './engine-error.js';
import { MAX_USERNAME_CHARS } from './limits.js';
import type { KtContactView, KtRunView, KtStatusView, Request } from './protocol.js';

/** Never monitor more often than this, whatever the log's window says. */
export const KT_MONITOR_MIN_MS = 60_000;
/** Never wait longer than this between runs (a day), whatever the log's window says. */
export const KT_MONITOR_MAX_MS = 24 * 60 * 60_000;
/**
 * No log pinned yet (it is pinned at the first lookup through one), or no account: look again
 * this often (a read of the store), or at once when a status request sees a pinned log.
 */
export const KT_IDLE_CHECK_MS = 60_000;
/** After a run that failed (offline, the log down): try again this soon. */
export const KT_RETRY_MS = 5 * 60_000;

export type KtRequest = 'ktStatus' | 'ktMonitor' | 'contactTransparency';

export interface KtHost {
  readonly client: ParleyClient;
  /** Shows a warning in every tab. */
  readonly notice: (text: string) => void;
  readonly now?: () => number;
}

function clamp(ms: number): number {
  return Math.max(KT_MONITOR_MIN_MS, Math.min(KT_MONITOR_MAX_MS, ms));
}

/** `MISUSE` is the lazy SDK saying its verifier is not loaded yet. */
function notLoaded(error: unknown): boolean {
  return error instanceof ClientError && error.code === 'MISUSE';
}

/** What a run's error means for the user (the codes of `@parley/client`). */
function alertText(code: string): string {
  if (code === 'KT_FORK')
    return 'Key transparency: the log showed two different histories. Parley is not sending until this is resolved.';
  if (code === 'KT_MISMATCH')
    return 'Key transparency: the log shows a key or device list for your account that your devices did not make. Check your devices.';
  return `Key transparency: monitoring could not verify keys (${code}). Keys are not confirmed until it succeeds.`;
}

export class EngineTransparency {
  readonly #h: KtHost;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #running = false;
  /** The last look found no log pinned (or no account). */
  #idle = false;
  /** This engine's last run. */
  #last: KtRunView | undefined;
  /** The last alert shown (the same one is not repeated every run). */
  #alerted: string | undefined;

  constructor(host: KtHost) {
    this.#h = host;
  }

  #now(): number {
    return (this.#h.now ?? Date.now)();
  }

  start(): void {
    this.#schedule(0);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.#tick();
    }, ms);
  }

  /** The SDK's status, loading its verifier first when a log is pinned. */
  async #status(): Promise<KtStatus> {
    try {
      return this.#h.client.keyTransparencyStatus();
    } catch (error) {
      if (!notLoaded(error)) throw error;
    }
    await this.#h.client.prepareKeyTransparency();
    return this.#h.client.keyTransparencyStatus();
  }

  /** Monitors when a run is due, then waits for the next. */
  async #tick(): Promise<void> {
    if (this.#closed || this.#running) return;
    this.#running = true;
    let next = KT_IDLE_CHECK_MS;
    try {
      const s = this.#h.client.account === undefined ? undefined : await this.#status();
      this.#idle = s?.enabled !== true;
      if (s?.enabled === true) {
        const rmw = clamp(s.rmw ?? KT_MONITOR_MAX_MS);
        const last = Math.max(this.#last?.at ?? 0, s.lastRun?.at ?? 0);
        const due = last + rmw - this.#now();
        next = due > 0 ? Math.min(due, rmw) : await this.#monitor(rmw);
      }
    } catch (error) {
      // Reading the status failed (the store closing): look again later; no contact's name.
      console.error('parley engine: transparency check failed', errorCode(error));
      next = KT_RETRY_MS;
    } finally {
      this.#running = false;
    }
    this.#schedule(next);
  }

  /** One monitoring run; returns when the next is due. */
  async #monitor(rmw: number): Promise<number> {
    const at = this.#now();
    try {
      const report = await this.#h.client.monitorKeyTransparency();
      const failed = report.failed.map(
        (f) => `${f.label}: ${f.code}${f.answer === undefined ? '' : ` (${f.answer})`}`,
      );
      this.#last = { at, checked: report.checked, failed };
      const fork = (await this.#status()).fork !== undefined;
      if (fork) this.#alert(alertText('KT_FORK'));
      else if (failed.length > 0)
        this.#alert(
          `Key transparency: monitoring could not verify ${failed.join('; ')}. Those keys are not confirmed until it succeeds.`,
        );
      else this.#alerted = undefined;
      return failed.length > 0 ? Math.min(rmw, KT_RETRY_MS) : rmw;
    } catch (error) {
      const code = errorCode(error);
      // The SDK stored what its contact monitoring found before the owner's check failed.
      const stored = (await this.#status().catch(() => undefined))?.lastRun;
      const same = stored !== undefined && stored.at >= at;
      this.#last = {
        at,
        checked: same ? stored.checked : 0,
        failed: same ? stored.failed : [],
        error: code,
      };
      // Offline or the relay down is no finding; anything the log answered is.
      if (code.startsWith('KT_')) this.#alert(alertText(code));
      return KT_RETRY_MS;
    }
  }

  #alert(text: string): void {
    if (text === this.#alerted) return;
    this.#alerted = text;
    this.#h.notice(text);
  }

  async answer(request: Extract<Request, { type: KtRequest }>): Promise<unknown> {
    if (request.type === 'ktStatus') return this.status();
    if (request.type === 'ktMonitor') return this.monitorNow();
    return this.contact(request.params.username);
  }

  /** A run now (the user asked); the timer counts from it. */
  async monitorNow(): Promise<KtStatusView> {
    const s = await this.#status();
    if (s.enabled && this.#h.client.account !== undefined)
      this.#schedule(await this.#monitor(clamp(s.rmw ?? KT_MONITOR_MAX_MS)));
    return this.status();
  }

  async status(): Promise<KtStatusView> {
    const s = await this.#status();
    if (s.enabled && this.#idle && !this.#running) {
      // A log was pinned since the last look: monitoring starts now, not at the next look.
      this.#idle = false;
      this.#schedule(0);
    }
    const stored = s.lastRun;
    const last =
      this.#last !== undefined && this.#last.at >= (stored?.at ?? 0) ? this.#last : stored;
    return {
      enabled: s.enabled,
      ...(s.mode !== undefined && { mode: s.mode }),
      ...(s.rmw !== undefined && { rmw: s.rmw }),
      ...(s.treeSize !== undefined && { treeSize: s.treeSize }),
      monitored: s.monitored,
      overdue: s.overdue,
      ...(last !== undefined && { lastRun: last }),
      forked: s.fork !== undefined,
    };
  }

  /**
   * The contact's status, as the SDK gives it, except that a label the last run could not
   * check, or a run the log refused, is "cannot verify" (never counted as verified).
   */
  async contact(username: string): Promise<KtContactView> {
    const name = bounded(username.trim().toLowerCase(), MAX_USERNAME_CHARS, 'the username');
    const s = await this.status();
    let status = this.#h.client.contactTransparency(name);
    const label = `username ${name}`;
    const problems = [
      ...s.overdue.filter((d) => d === label).map((d) => `monitoring of the ${d} is overdue`),
      ...(s.lastRun?.failed ?? []).filter((d) => d === label || d.startsWith(`${label}:`)),
    ];
    const error = this.#last?.error;
    if (error?.startsWith('KT_') === true && this.#last === s.lastRun)
      problems.push(`the last monitoring run failed (${error})`);
    if (status === 'verified' && problems.length > 0) status = 'cannot verify';
    return { username: name, status, enabled: s.enabled, problems };
  }
}

function errorCode(error: unknown): string {
  return error instanceof ClientError ? error.code : 'INTERNAL';
}
