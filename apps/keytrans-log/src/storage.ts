import type { LabelVersion } from '@parley/keytrans';

/**
 * What the log service persists: its configuration (fixed at creation) and every entry with
 * the label-versions it added. The combined tree itself is rebuilt from these at start-up
 * (`TransparencyLog.restore`, no VRF proving), so storage holds about 150 bytes per
 * label-version and 8 per entry. A backend appends an entry in one durable transaction.
 */
export interface StoredEntry {
  readonly position: number;
  readonly timestamp: number;
  readonly added: readonly LabelVersion[];
}

export interface LogStorage {
  /** The stored Configuration bytes, or undefined for a new log. */
  configuration(): Uint8Array | undefined;
  /** Stores the Configuration of a new log. */
  initialize(configuration: Uint8Array): void;
  /** Every entry in position order. */
  entries(): Iterable<StoredEntry>;
  /** Appends one entry durably (one transaction). */
  append(entry: StoredEntry): void;
  /** Bytes on disk, for the benchmark (0 for memory). */
  byteLength(): number;
  close(): void;
}

/** Memory storage (tests, and `--storage memory`). */
export class MemoryLogStorage implements LogStorage {
  private config: Uint8Array | undefined;
  private readonly list: StoredEntry[] = [];

  configuration(): Uint8Array | undefined {
    return this.config;
  }

  initialize(configuration: Uint8Array): void {
    this.config = configuration;
  }

  entries(): Iterable<StoredEntry> {
    return this.list;
  }

  append(entry: StoredEntry): void {
    if (entry.position !== this.list.length) throw new Error('entries must be appended in order');
    this.list.push(entry);
  }

  byteLength(): number {
    return 0;
  }

  close(): void {
    // nothing to release
  }
}
