/**
 * The PostgreSQL schema as numbered migrations, applied in order under an advisory lock (several
 * nodes may start at once). A migration is never edited once released: change the schema by
 * appending one. `schema_migrations` records which have been applied.
 *
 * Differences from the SQLite schema: a message's `seq` comes from its device's row in
 * `queue_counters` (updated in the enqueueing transaction, so per-device commit order holds with
 * concurrent writers; the row is never deleted, so no `seq` is reused), and expiry uses an age
 * index (there is no global commit order to walk), and a queue's depth is its counter minus its
 * `queue_removals` row (migration 4), not a count of its rows.
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
  {
    // Queue depths without counting rows: a device's depth is its counter (messages ever
    // enqueued) minus its row here (messages ever removed). A statement-level trigger adds every
    // delete of queued messages (acks, expiry, device or account removal by cascade) in the
    // deleting transaction, locking rows in (account, device) order. Sends never touch these
    // rows, nor deletes the counters, so acks and sends do not wait for each other. The table is
    // locked while it is filled so no delete falls between the count and the trigger.
    version: 4,
    sql: `
      LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE;
      CREATE TABLE queue_removals (
        account_id TEXT NOT NULL,
        device_id  INTEGER NOT NULL,
        removed    BIGINT NOT NULL,
        PRIMARY KEY (account_id, device_id)
      );
      INSERT INTO queue_removals
        SELECT c.account_id, c.device_id, c.seq - (SELECT count(*) FROM messages m
          WHERE m.recipient_account = c.account_id AND m.recipient_device = c.device_id)
        FROM queue_counters c;
      CREATE FUNCTION count_queue_removals() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO queue_removals AS r
          SELECT recipient_account, recipient_device, count(*) FROM gone
          GROUP BY recipient_account, recipient_device ORDER BY recipient_account, recipient_device
          ON CONFLICT (account_id, device_id) DO UPDATE SET removed = r.removed + excluded.removed;
        RETURN NULL;
      END $$;
      CREATE TRIGGER messages_removed AFTER DELETE ON messages
        REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION count_queue_removals();
    `,
  },
  {
    // Issue 18, sealed group traffic: SHA-256 of the current epoch's group delivery token, and
    // of the previous epoch's (SQLite migration 7).
    version: 5,
    sql: `
      ALTER TABLE groups ADD COLUMN delivery_token_hash BYTEA;
      ALTER TABLE groups ADD COLUMN previous_token_hash BYTEA;
    `,
  },
];
