import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { LogStorage, StoredEntry } from './storage.js';

/** Numbered migrations; never edited once released. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
   CREATE TABLE entries (position INTEGER PRIMARY KEY, timestamp INTEGER NOT NULL);
   CREATE TABLE label_versions (
     label BLOB NOT NULL, version INTEGER NOT NULL, position INTEGER NOT NULL,
     vrf_output BLOB NOT NULL, commitment BLOB NOT NULL, opening BLOB NOT NULL, value BLOB NOT NULL,
     PRIMARY KEY (label, version)
   ) WITHOUT ROWID;
   CREATE INDEX label_versions_position ON label_versions (position);`,
];

/**
 * SQLite storage (better-sqlite3 12.x) in `<dataDir>/keytrans-log.sqlite`, WAL with
 * `synchronous=FULL`: an entry is on disk before any response names it. One transaction per
 * entry, so one fsync per minute whatever the update rate.
 */
export function openSqliteLogStorage(
  dataDir: string,
  options: { synchronous?: 'FULL' | 'OFF' } = {},
): LogStorage {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'keytrans-log.sqlite');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // OFF only for the benchmark's bulk build; the service always runs FULL.
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let i = version; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i] as string);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
  const getMeta = db.prepare<[string], { value: Buffer }>('SELECT value FROM meta WHERE name = ?');
  const putMeta = db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)');
  const putEntry = db.prepare('INSERT INTO entries (position, timestamp) VALUES (?, ?)');
  const putVersion = db.prepare(
    'INSERT INTO label_versions (label, version, position, vrf_output, commitment, opening, value) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const append = db.transaction((entry: StoredEntry) => {
    putEntry.run(entry.position, entry.timestamp);
    for (const a of entry.added) {
      putVersion.run(a.label, a.version, a.position, a.vrfOutput, a.commitment, a.opening, a.value);
    }
  });
  return {
    configuration() {
      const row = getMeta.get('configuration');
      return row === undefined ? undefined : new Uint8Array(row.value);
    },
    initialize(configuration) {
      putMeta.run('configuration', configuration);
    },
    *entries() {
      const rows = db
        .prepare<[], { position: number; timestamp: number }>(
          'SELECT position, timestamp FROM entries ORDER BY position',
        )
        .all();
      const versions = db
        .prepare<
          [],
          {
            label: Buffer;
            version: number;
            position: number;
            vrf_output: Buffer;
            commitment: Buffer;
            opening: Buffer;
            value: Buffer;
          }
        >(
          'SELECT label, version, position, vrf_output, commitment, opening, value FROM label_versions ORDER BY position, label, version',
        )
        .iterate();
      let next = versions.next();
      for (const row of rows) {
        const added = [];
        while (!next.done && next.value.position === row.position) {
          const v = next.value;
          added.push({
            label: new Uint8Array(v.label),
            version: v.version,
            position: v.position,
            vrfOutput: new Uint8Array(v.vrf_output),
            commitment: new Uint8Array(v.commitment),
            opening: new Uint8Array(v.opening),
            value: new Uint8Array(v.value),
          });
          next = versions.next();
        }
        yield { position: row.position, timestamp: row.timestamp, added };
      }
    },
    append(entry) {
      append(entry);
    },
    byteLength() {
      db.pragma('wal_checkpoint(TRUNCATE)');
      return statSync(path).size;
    },
    close() {
      db.close();
    },
  };
}
