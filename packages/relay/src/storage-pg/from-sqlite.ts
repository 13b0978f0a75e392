/**
 * SQLite → PostgreSQL (`parley-server migrate`): copies a SQLite data directory into an
 * empty PostgreSQL database (created tables by the PostgreSQL migrations), in one transaction, so
 * a single-node install can move to several nodes. The relay must be stopped meanwhile.
 *
 * Everything is copied: accounts, devices, keys, device lists, queues, send records, tokens,
 * provisioning channels, attachments, KeyPackages, groups, delivery token hashes and profiles. Queued messages keep their guids
 * (the PostgreSQL queue epoch becomes the SQLite one) and every device's queue counter starts
 * past the largest `seq` SQLite ever handed out, so no guid a client has seen can come back.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { SQLITE_FILE_NAME } from '../storage/sqlite.js';
import { MIGRATIONS } from '../storage/sqlite-migrations.js';
import { openPgStorage } from './pg.js';

/** Bind parameters per INSERT (PostgreSQL allows 65,535). */
const MAX_PARAMETERS = 30_000;

/** Tables in dependency order, with the columns both schemas share. */
const TABLES: readonly (readonly [string, readonly string[]])[] = [
  ['accounts', ['account_id', 'username', 'identity_key', 'created_at']],
  [
    'devices',
    ['account_id', 'device_id', 'registration_id', 'identity_key', 'secret_hash', 'created_at'],
  ],
  ['device_lists', ['account_id', 'version', 'blob']],
  ['signed_keys', ['account_id', 'device_id', 'kind', 'key_id', 'public_key', 'signature']],
  ['one_time_keys', ['account_id', 'device_id', 'kind', 'key_id', 'public_key', 'signature']],
  [
    'messages',
    [
      'recipient_account',
      'recipient_device',
      'seq',
      'sender_account',
      'sender_device',
      'client_message_id',
      'type',
      'content',
      'server_timestamp',
      'legacy_guid',
      'expires_at',
    ],
  ],
  ['sends', ['sender_account', 'sender_device', 'client_message_id', 'server_timestamp']],
  ['link_tokens', ['token_hash', 'account_id', 'expires_at']],
  ['provisioning', ['channel_id', 'ciphertext', 'expires_at']],
  ['attachments', ['attachment_id', 'bytes', 'expires_at', 'owner_account']],
  ['mls_key_packages', ['seq', 'account_id', 'device_id', 'key_package']],
  ['mls_last_resort_key_packages', ['account_id', 'device_id', 'key_package']],
  ['profiles', ['account_id', 'delivery_token_hash', 'profile']],
  ['groups', ['group_id', 'epoch', 'created_at', 'delivery_token_hash', 'previous_token_hash']],
  ['group_members', ['group_id', 'account_id', 'device_id']],
  [
    'group_handshakes',
    ['group_id', 'epoch', 'sender_account', 'sender_device', 'commit_message', 'server_timestamp'],
  ],
];

export class MigrateError extends Error {
  override readonly name = 'MigrateError';
}

export interface MigrateOptions {
  readonly sqliteDir: string;
  readonly databaseUrl: string;
  /** Schema in the target database (tests); default `public`. */
  readonly schema?: string;
}

/** Rows copied per table. */
export type MigrateReport = Record<string, number>;

export async function migrateSqliteToPg(o: MigrateOptions): Promise<MigrateReport> {
  const file = join(o.sqliteDir, SQLITE_FILE_NAME);
  if (!existsSync(file)) throw new MigrateError(`no ${SQLITE_FILE_NAME} in the SQLite directory`);
  const source = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const version = Number(source.pragma('user_version', { simple: true }));
    if (version !== MIGRATIONS.at(-1)?.version)
      throw new MigrateError(
        'the SQLite database is not at the latest migration: start and stop this version of the server on it first',
      );
    // Creates and migrates the schema; closed at once (the copy uses one plain connection).
    const storage = await openPgStorage({
      connectionString: o.databaseUrl,
      ...(o.schema === undefined ? {} : { schema: o.schema }),
    });
    await storage.close();
    const client = new pg.Client({
      connectionString: o.databaseUrl,
      ...(o.schema === undefined ? {} : { options: `-c search_path=${o.schema}` }),
    });
    await client.connect();
    try {
      await client.query('BEGIN');
      const existing = await client.query<{ n: string }>('SELECT count(*) AS n FROM accounts');
      if (Number(existing.rows[0]?.n ?? 0) > 0)
        throw new MigrateError(
          'the PostgreSQL database already holds accounts: migrate into an empty one',
        );
      const report: MigrateReport = {};
      for (const [table, columns] of TABLES) {
        report[table] = await copyTable(source, client, table, columns);
      }
      const epoch = source
        .prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'queue_epoch'")
        .get()?.value;
      if (epoch === undefined) throw new MigrateError('the SQLite database has no queue epoch');
      await client.query("UPDATE meta SET value = $1 WHERE key = 'queue_epoch'", [epoch]);
      const highest =
        source
          .prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'messages'")
          .get()?.seq ?? 0;
      await client.query(
        'INSERT INTO queue_counters SELECT account_id, device_id, $1 FROM devices',
        [highest],
      );
      // Depth = counter - removals (migration 4): the counters start at the highest seq.
      await client.query(
        `INSERT INTO queue_removals SELECT c.account_id, c.device_id,
           c.seq - (SELECT count(*) FROM messages m
             WHERE m.recipient_account = c.account_id AND m.recipient_device = c.device_id)
         FROM queue_counters c`,
      );
      await client.query(
        "SELECT setval(pg_get_serial_sequence('mls_key_packages', 'seq'), greatest((SELECT max(seq) FROM mls_key_packages), 1))",
      );
      await client.query('COMMIT');
      return report;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await client.end();
    }
  } finally {
    source.close();
  }
}

async function copyTable(
  source: Database.Database,
  client: pg.Client,
  table: string,
  columns: readonly string[],
): Promise<number> {
  const rows = source
    .prepare<[], unknown[]>(`SELECT ${columns.join(', ')} FROM ${table}`)
    .raw()
    .iterate();
  const perInsert = Math.floor(MAX_PARAMETERS / columns.length);
  let chunk: unknown[][] = [];
  let copied = 0;
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const values: unknown[] = [];
    const tuples = chunk.map((row) => {
      const start = values.length;
      values.push(...row);
      return `(${row.map((_, i) => `$${String(start + i + 1)}`).join(', ')})`;
    });
    await client.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`,
      values,
    );
    copied += chunk.length;
    chunk = [];
  };
  for (const row of rows) {
    chunk.push(row);
    if (chunk.length >= perInsert) await flush();
  }
  await flush();
  return copied;
}
