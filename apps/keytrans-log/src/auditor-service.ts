import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  applyAuditorUpdate,
  createSuite,
  decodeAuditorUpdate,
  decodeConfiguration,
  encodeAuditorTreeHead,
  initialAuditorState,
  type AuditorState,
} from '@parley/keytrans';
import type { Primitives } from '@parley/primitives';

/**
 * The third-party auditor process: it pulls each entry's AuditorUpdate from the log in order,
 * verifies it against its own state (`applyAuditorUpdate`), stores the new state and only then
 * posts the signed AuditorTreeHead back. It never signs a size it has not verified entry by
 * entry; a refused update stops it (the operator must look) and is reported.
 */
export interface AuditorStateStore {
  load(): AuditorState;
  save(state: AuditorState): void;
  close(): void;
}

export function openSqliteAuditorStore(dataDir: string): AuditorStateStore {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dataDir, 'keytrans-auditor.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)',
  );
  const get = db.prepare<[], { json: string }>('SELECT json FROM state WHERE id = 1');
  const put = db.prepare(
    'INSERT INTO state (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json',
  );
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  const bin = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
  return {
    load() {
      const row = get.get();
      if (row === undefined) return initialAuditorState();
      const j = JSON.parse(row.json) as {
        size: number;
        timestamp: number;
        prefixRoot: string;
        fullSubtrees: string[];
      };
      return {
        size: j.size,
        timestamp: j.timestamp,
        prefixRoot: bin(j.prefixRoot),
        fullSubtrees: j.fullSubtrees.map(bin),
      };
    },
    save(state) {
      put.run(
        JSON.stringify({
          ...state,
          prefixRoot: hex(state.prefixRoot),
          fullSubtrees: state.fullSubtrees.map(hex),
        }),
      );
    },
    close() {
      db.close();
    },
  };
}

export interface AuditorOptions {
  readonly logUrl: string;
  readonly store: AuditorStateStore;
  readonly primitives: Primitives;
  readonly signingKey: Uint8Array;
  readonly interval: number;
  readonly report: (line: string) => void;
}

/** Runs until `stop()`; resolves `failed` with the reason if the log misbehaves. */
export function runAuditor(options: AuditorOptions): {
  stop: () => Promise<void>;
  failed: Promise<string>;
} {
  const suite = createSuite(options.primitives);
  let state = options.store.load();
  let stopped = false;
  let reportFailure: (reason: string) => void = () => undefined;
  const failed = new Promise<string>((resolve) => (reportFailure = resolve));
  const loop = async (): Promise<void> => {
    let config;
    while (!stopped && config === undefined) {
      try {
        const r = await fetch(`${options.logUrl}/kt/v1/config`);
        if (r.ok) config = decodeConfiguration(new Uint8Array(await r.arrayBuffer()));
      } catch {
        // the log is not up yet
      }
      if (config === undefined) await sleep(options.interval);
    }
    while (!stopped && config !== undefined) {
      const r = await fetch(`${options.logUrl}/kt/v1/audit/update/${state.size}`).catch(
        () => undefined,
      );
      if (r === undefined || r.status === 400) {
        await sleep(options.interval);
        continue;
      }
      if (!r.ok) {
        await sleep(options.interval);
        continue;
      }
      let next;
      try {
        const update = decodeAuditorUpdate(new Uint8Array(await r.arrayBuffer()));
        next = applyAuditorUpdate(suite, config, options.signingKey, state, update);
      } catch (error) {
        const reason = error instanceof Error ? error.message : 'unknown';
        options.report(`auditor: refused the log's entry ${state.size}: ${reason}`);
        reportFailure(reason);
        return;
      }
      options.store.save(next.state);
      state = next.state;
      await fetch(`${options.logUrl}/kt/v1/audit/head`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from(encodeAuditorTreeHead(next.head)),
      }).catch(() => undefined);
    }
  };
  const running = loop();
  return {
    failed,
    async stop() {
      stopped = true;
      await running;
      options.store.close();
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
