/**
 * Key transparency behind a facade that loads its code (`transparency-code.ts`) at the first
 * check: a contact looked up, a device list verified, a monitoring run, or a message to send or
 * read while this device has a log pinned (the gossip of heads). Without a pinned log and with a
 * policy that does not require one, the answers that need no code (`enabled`, an empty status)
 * come from the store. Every check behaves as `Transparency`'s, one await later.
 */
import { ClientError } from './errors.js';
import type { ClientContext } from './context.js';
import type { CodeSlot } from './code-slot.js';
import type { StorageReader } from './storage.js';
import type {
  KtLabelStatus,
  KtMonitorReport,
  KtPolicy,
  KtStatus,
  Transparency,
} from './transparency.js';
import { transparencyCode, type TransparencyCode } from './transparency-code.js';
import type { KtTransport } from './transparency-transport.js';
import { KT_NAMESPACE } from './transparency-store.js';

/** Whether this store has a log's configuration pinned (then gossip needs the code). */
export function ktPinned(db: StorageReader): boolean {
  return db.get(KT_NAMESPACE, 'config') !== undefined;
}

export class LazyTransparency {
  readonly #c: ClientContext;
  readonly #transport: KtTransport;
  readonly #policy: KtPolicy;
  readonly #code: CodeSlot<TransparencyCode>;
  #kt: Transparency | undefined;

  constructor(
    c: ClientContext,
    transport: KtTransport,
    policy: KtPolicy,
    code: CodeSlot<TransparencyCode> = transparencyCode,
  ) {
    this.#c = c;
    this.#transport = transport;
    this.#policy = policy;
    this.#code = code;
  }

  #loaded(): Transparency | undefined {
    if (this.#kt === undefined) {
      const code = this.#code.loaded();
      if (code !== undefined)
        this.#kt = new code.Transparency(this.#c, this.#transport, this.#policy);
    }
    return this.#kt;
  }

  /** The verifier, loading its code first if needed. */
  async verifier(): Promise<Transparency> {
    const now = this.#loaded();
    if (now !== undefined) return now;
    const code = await this.#code.load();
    this.#kt ??= new code.Transparency(this.#c, this.#transport, this.#policy);
    return this.#kt;
  }

  /** The gossip functions when a message needs them (a log is pinned), else undefined. */
  async gossip(): Promise<TransparencyCode | undefined> {
    return ktPinned(this.#c.db) ? (this.#code.loaded() ?? (await this.#code.load())) : undefined;
  }

  async verifyAccount(username: string, accountId: string, identityKey: string): Promise<void> {
    return (await this.verifier()).verifyAccount(username, accountId, identityKey);
  }

  async verifyDeviceList(accountId: string, blob: string, version: number): Promise<void> {
    return (await this.verifier()).verifyDeviceList(accountId, blob, version);
  }

  async monitor(): Promise<KtMonitorReport> {
    return (await this.verifier()).monitor();
  }

  async checkOwn(deviceList: { blob: string; version: number }): Promise<void> {
    return (await this.verifier()).checkOwn(deviceList);
  }

  /** Whether this device verifies keys (a log is pinned, or policy requires one). */
  enabled(): boolean {
    return ktPinned(this.#c.db) || this.#policy === 'required';
  }

  labelStatus(accountId: string, username: string): KtLabelStatus {
    const kt = this.#loaded();
    if (kt !== undefined) return kt.labelStatus(accountId, username);
    if (!this.enabled()) return 'not verified';
    throw notLoaded();
  }

  status(): KtStatus {
    const kt = this.#loaded();
    if (kt !== undefined) return kt.status();
    if (!ktPinned(this.#c.db)) return { enabled: false, overdue: [], monitored: 0 };
    throw notLoaded();
  }
}

const notLoaded = (): ClientError =>
  new ClientError(
    'MISUSE',
    'the key transparency code is not loaded yet; await prepareKeyTransparency()',
  );
