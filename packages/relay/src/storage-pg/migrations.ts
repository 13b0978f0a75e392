/**
 * The PostgreSQL schema as numbered migrations, applied in order under an advisory lock (several
 * nodes may start at once). A migration is never edited once released: change the schema by
 * appending one. `schema_migrations` records which have been applied.
 *
 * Differences from the SQLite schema: a message's `seq` comes from its device's row in
 * `queue_counters` (updated in the enqueueing transaction, so per-device commit order holds with
 * concurrent writers; the row is never deleted, so no `seq` is reused), and expiry uses an age
 * index (there is no global commit order to walk).
 */
import type { Migration } from '../storage/sqlite-migrations.js';

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      INSERT INTO meta VALUES ('queue_epoch', substr(md5(random()::text || clock_timestamp()::text), 1, 16));
      CREATE TABLE accounts (
        account_id   TEXT PRIMARY KEY,
        username     TEXT NOT NULL UNIQUE,
        identity_key BYTEA NOT NULL,
        created_at   BIGINT NOT NULL
      );
      CREATE TABLE devices (
        account_id      TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
        device_id       INTEGER NOT NULL,
        registration_id INTEGER NOT NULL,
        identity_key    BYTEA NOT NULL,
        secret_hash     BYTEA NOT NULL,
        created_at      BIGINT NOT NULL,
        PRIMARY KEY (account_id, device_id)
      );
      CREATE TABLE device_lists (
        account_id TEXT PRIMARY KEY REFERENCES accounts(account_id) ON DELETE CASCADE,
        version    BIGINT NOT NULL,
        blob       BYTEA NOT NULL
      );
      CREATE TABLE signed_keys (
        account_id TEXT NOT NULL,
        device_id  INTEGER NOT NULL,
        kind       TEXT NOT NULL,
        key_id     BIGINT NOT NULL,
        public_key BYTEA NOT NULL,
        signature  BYTEA NOT NULL,
        PRIMARY KEY (account_id, device_id, kind),
        FOREIGN KEY (account_id, device_id) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
      );
      CREATE TABLE one_time_keys (
        account_id TEXT NOT NULL,
        device_id  INTEGER NOT NULL,
        kind       TEXT NOT NULL,
        key_id     BIGINT NOT NULL,
        public_key BYTEA NOT NULL,
        signature  BYTEA NOT NULL,
        PRIMARY KEY (account_id, device_id, kind, key_id),
        FOREIGN KEY (account_id, device_id) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
      );
      CREATE TABLE queue_counters (
        account_id TEXT NOT NULL,
        device_id  INTEGER NOT NULL,
        seq        BIGINT NOT NULL,
        PRIMARY KEY (account_id, device_id)
      );
      CREATE TABLE messages (
        recipient_account TEXT NOT NULL,
        recipient_device  INTEGER NOT NULL,
        seq               BIGINT NOT NULL,
        sender_account    TEXT NOT NULL,
        sender_device     INTEGER NOT NULL,
        client_message_id TEXT NOT NULL,
        type              INTEGER NOT NULL,
        content           BYTEA NOT NULL,
        server_timestamp  BIGINT NOT NULL,
        legacy_guid       TEXT,
        PRIMARY KEY (recipient_account, recipient_device, seq),
        FOREIGN KEY (recipient_account, recipient_device) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
      );
      CREATE INDEX messages_age ON messages (server_timestamp);
      CREATE TABLE sends (
        sender_account    TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
        sender_device     INTEGER NOT NULL,
        client_message_id TEXT NOT NULL,
        server_timestamp  BIGINT NOT NULL,
        PRIMARY KEY (sender_account, sender_device, client_message_id)
      );
      CREATE INDEX sends_age ON sends (server_timestamp);
      CREATE TABLE link_tokens (
        token_hash TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX link_tokens_expiry ON link_tokens (expires_at);
      CREATE TABLE provisioning (
        channel_id TEXT PRIMARY KEY,
        ciphertext BYTEA,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX provisioning_expiry ON provisioning (expires_at);
      CREATE TABLE attachments (
        attachment_id TEXT PRIMARY KEY,
        bytes         BYTEA NOT NULL,
        expires_at    BIGINT NOT NULL,
        owner_account TEXT REFERENCES accounts(account_id) ON DELETE CASCADE
      );
      CREATE INDEX attachments_expiry ON attachments (expires_at);
      CREATE INDEX attachments_owner ON attachments (owner_account);
      CREATE TABLE mls_key_packages (
        seq         BIGSERIAL PRIMARY KEY,
        account_id  TEXT NOT NULL,
        device_id   INTEGER NOT NULL,
        key_package BYTEA NOT NULL,
        FOREIGN KEY (account_id, device_id) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
      );
      CREATE INDEX mls_key_packages_device ON mls_key_packages (account_id, device_id, seq);
      CREATE TABLE mls_last_resort_key_packages (
        account_id  TEXT NOT NULL,
        device_id   INTEGER NOT NULL,
        key_package BYTEA NOT NULL,
        PRIMARY KEY (account_id, device_id),
        FOREIGN KEY (account_id, device_id) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
      );
      CREATE TABLE groups (
        group_id   TEXT PRIMARY KEY,
        epoch      BIGINT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE group_members (
        group_id   TEXT NOT NULL REFERENCES groups(group_id) ON DELETE CASCADE,
        account_id TEXT NOT NULL,
        device_id  INTEGER NOT NULL,
        PRIMARY KEY (group_id, account_id, device_id)
      );
      CREATE TABLE group_handshakes (
        group_id         TEXT NOT NULL REFERENCES groups(group_id) ON DELETE CASCADE,
        epoch            BIGINT NOT NULL,
        sender_account   TEXT NOT NULL,
        sender_device    INTEGER NOT NULL,
        commit_message   BYTEA NOT NULL,
        server_timestamp BIGINT NOT NULL,
        PRIMARY KEY (group_id, epoch)
      );
    `,
  },
  {
    // Issues 14 and 18: what an account publishes for its contacts (SQLite migration 5).
    version: 2,
    sql: `
      CREATE TABLE profiles (
        account_id          TEXT PRIMARY KEY REFERENCES accounts(account_id) ON DELETE CASCADE,
        delivery_token_hash BYTEA,
        profile             BYTEA
      );
    `,
  },
  {
    // Disappearing messages: the sender's expiry, honoured at delivery and by the sweep.
    version: 3,
    sql: `
      ALTER TABLE messages ADD COLUMN expires_at BIGINT;
      CREATE INDEX messages_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
];
