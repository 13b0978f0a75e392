/**
 * Key transparency state behind the SDK's storage (namespace `keytrans`): the pinned log
 * configuration, the last verified head, contact and owner monitoring records (the shapes of
 * `@parley/keytrans`'s `KeyTransStore`), and which value of each label was last verified. Reads
 * go through {@link BackendKeyTransStore}; writes only through {@link commitKeyTrans}, inside the
 * caller's transaction, after a response fully verified (compute, then commit).
 */
import { fromBase64, fromHex, toBase64, toHex, utf8Decode, utf8Encode } from '@parley/bytes';
import type {
  ContactState,
  HeadState,
  KeyTransChanges,
  KeyTransStore,
  OwnerState,
} from '@parley/keytrans';
import type { StorageReader, StorageWriter } from './storage.js';

export const KT_NAMESPACE = 'keytrans';
const HEAD = 'head';
const CONFIG = 'config';
const CONTACT = 'contact:';
const OWNER = 'owner:';
const VERIFIED = 'verified:';
const MONITOR_RUN = 'monitor-run';

/** JSON with byte strings as `{ "$b": base64 }` (the state is records of numbers and bytes). */
export function encodeState(value: unknown): Uint8Array {
  return utf8Encode(
    JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? { $b: toBase64(v) } : v)),
  );
}

export function decodeState(bytes: Uint8Array): unknown {
  return JSON.parse(utf8Decode(bytes), (_k, v: unknown) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const b = (v as { $b?: unknown }).$b;
      if (typeof b === 'string' && Object.keys(v).length === 1) return fromBase64(b);
    }
    return v;
  }) as unknown;
}

/** The value of a label this device last verified, and when. */
export interface VerifiedValue {
  readonly value: Uint8Array;
  readonly version: number;
  readonly at: number;
}

/**
 * The last monitoring run: when, how many labels and gossiped heads it checked, and those that
 * could not be verified.
 */
export interface MonitorRun {
  readonly at: number;
  readonly checked: number;
  readonly failed: readonly string[];
}

/** `@parley/keytrans`'s store interface over the client's storage (read only). */
export class BackendKeyTransStore implements KeyTransStore {
  constructor(private readonly db: StorageReader) {}

  #get(key: string): unknown {
    const raw = this.db.get(KT_NAMESPACE, key);
    return raw === undefined ? undefined : decodeState(raw);
  }

  #list(prefix: string): unknown[] {
    return this.db
      .list(KT_NAMESPACE)
      .filter(([k]) => k.startsWith(prefix))
      .map(([, v]) => decodeState(v));
  }

  head(): HeadState | undefined {
    return this.#get(HEAD) as HeadState | undefined;
  }

  contact(label: Uint8Array): ContactState | undefined {
    return this.#get(CONTACT + toHex(label)) as ContactState | undefined;
  }

  contacts(): readonly ContactState[] {
    return this.#list(CONTACT) as ContactState[];
  }

  owned(label: Uint8Array): OwnerState | undefined {
    return this.#get(OWNER + toHex(label)) as OwnerState | undefined;
  }

  owners(): readonly OwnerState[] {
    return this.#list(OWNER) as OwnerState[];
  }

  config(): Uint8Array | undefined {
    return this.db.get(KT_NAMESPACE, CONFIG);
  }

  verified(label: Uint8Array): VerifiedValue | undefined {
    return this.#get(VERIFIED + toHex(label)) as VerifiedValue | undefined;
  }

  lastRun(): MonitorRun | undefined {
    return this.#get(MONITOR_RUN) as MonitorRun | undefined;
  }
}

/** Persists verified changes (inside the caller's transaction). */
export function commitKeyTrans(w: StorageWriter, changes: KeyTransChanges): void {
  if (changes.head !== undefined) w.put(KT_NAMESPACE, HEAD, encodeState(changes.head));
  for (const [label, state] of changes.contacts ?? []) {
    const key = CONTACT + toHex(label);
    if (state === null) w.delete(KT_NAMESPACE, key);
    else w.put(KT_NAMESPACE, key, encodeState(state));
  }
  for (const [label, state] of changes.owners ?? []) {
    const key = OWNER + toHex(label);
    if (state === null) w.delete(KT_NAMESPACE, key);
    else w.put(KT_NAMESPACE, key, encodeState(state));
  }
}

export function putVerified(w: StorageWriter, label: Uint8Array, v: VerifiedValue): void {
  w.put(KT_NAMESPACE, VERIFIED + toHex(label), encodeState(v));
}

export function putConfig(w: StorageWriter, config: Uint8Array): void {
  w.put(KT_NAMESPACE, CONFIG, config);
}

export function putMonitorRun(w: StorageWriter, run: MonitorRun): void {
  w.put(KT_NAMESPACE, MONITOR_RUN, encodeState(run));
}

/**
 * A store with verified-but-uncommitted changes laid over it: several checks that belong
 * together (a username and its account's key) each see the head the previous one verified, and
 * are committed together or not at all.
 */
export class StagedKeyTransStore implements KeyTransStore {
  #head: HeadState | undefined;
  readonly #contacts = new Map<string, ContactState | null>();
  readonly #owners = new Map<string, OwnerState | null>();
  readonly #verified = new Map<string, { label: Uint8Array; value: VerifiedValue }>();

  constructor(private readonly base: BackendKeyTransStore) {}

  head(): HeadState | undefined {
    return this.#head ?? this.base.head();
  }

  contact(label: Uint8Array): ContactState | undefined {
    const staged = this.#contacts.get(toHex(label));
    return staged === null ? undefined : (staged ?? this.base.contact(label));
  }

  contacts(): readonly ContactState[] {
    const out = new Map(this.base.contacts().map((c) => [toHex(c.label), c] as const));
    for (const [k, v] of this.#contacts) {
      if (v === null) out.delete(k);
      else out.set(k, v);
    }
    return [...out.values()];
  }

  owned(label: Uint8Array): OwnerState | undefined {
    const staged = this.#owners.get(toHex(label));
    return staged === null ? undefined : (staged ?? this.base.owned(label));
  }

  owners(): readonly OwnerState[] {
    const out = new Map(this.base.owners().map((o) => [toHex(o.label), o] as const));
    for (const [k, v] of this.#owners) {
      if (v === null) out.delete(k);
      else out.set(k, v);
    }
    return [...out.values()];
  }

  stage(changes: KeyTransChanges, verified?: { label: Uint8Array; value: VerifiedValue }): void {
    if (changes.head !== undefined) this.#head = changes.head;
    for (const [label, state] of changes.contacts ?? []) this.#contacts.set(toHex(label), state);
    for (const [label, state] of changes.owners ?? []) this.#owners.set(toHex(label), state);
    if (verified !== undefined) this.#verified.set(toHex(verified.label), verified);
  }

  /** Writes everything staged (inside the caller's transaction). */
  commit(w: StorageWriter): void {
    const contacts = [...this.#contacts].map(([k, v]) => [fromHex(k), v] as const);
    const owners = [...this.#owners].map(([k, v]) => [fromHex(k), v] as const);
    commitKeyTrans(w, {
      ...(this.#head === undefined ? {} : { head: this.#head }),
      contacts,
      owners,
    });
    for (const { label, value } of this.#verified.values()) putVerified(w, label, value);
  }
}
