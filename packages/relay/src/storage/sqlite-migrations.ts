/**
 * The SQLite schema as numbered migrations. A migration is never edited once released: change
 * the schema by appending one. `PRAGMA user_version` records how many have been applied.
 */
export interface Migration {
  readonly version: number;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE accounts (
        account_id   TEXT PRIMARY KEY,
        username     TEXT NOT NULL UNIQUE,
        identity_key BLOB NOT NULL,
        created_at   INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE devices (
        account_id      TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
        device_id       INTEGER NOT NULL,
        registration_id INTEGER NOT NULL,
        identity_key    BLOB NOT NULL,
        secret_hash     BLOB NOT NULL,
        created_at      INTEGER NOT NULL,
        PRIMARY KEY (account_id, device_id)
      ) STRICT;
      CREATE TABLE device_lists (
        account_id TEXT PRIMARY KEY REFERENCES accounts(account_id) ON DELETE CASCADE,
        version    INTEGER NOT NULL,
        blob       BLOB NOT NULL
      ) STRICT;
      CREATE TABLE signed_keys (
        account_id TEXT NOT NULL,
        device_id  INTEGER NOT NULL,
        kind       TEXT NOT NULL,
        key_id     INTEGER NOT NULL,
        public_key BLOB NOT NULL,
        signature  BLOB NOT NULL,
        PRIMARY KEY (account_id, device_id, kind),
        FOREIGN KEY (account_id, device_id) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
      ) STRICT;
      CREATE TABLE one_time_keys (
        account_id TEXT NOT NULL,
        device_id  INTEGER NOT NULL,
        kind       TEXT NOT NULL,
        key_id     INTEGER NOT NULL,
        public_key BLOB NOT NULL,
        signature  BLOB NOT NULL,
        PRIMARY KEY (account_id, device_id, kind, key_id),
        FOREIGN KEY (account_id, device_id) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
      ) STRICT;
      CREATE TABLE messages (
        seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
        guid                TEXT NOT NULL UNIQUE,
        recipient_account   TEXT NOT NULL,
        recipient_device    INTEGER NOT NULL,
        sender_account      TEXT NOT NULL,
        sender_device       INTEGER NOT NULL,
        client_message_id   TEXT NOT NULL,
        type                INTEGER NOT NULL,
        content             BLOB NOT NULL,
        server_timestamp    INTEGER NOT NULL,
        FOREIGN KEY (recipient_account, recipient_device) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
      ) STRICT;
      CREATE INDEX messages_queue ON messages (recipient_account, recipient_device, seq);
      CREATE INDEX messages_age ON messages (server_timestamp);
      CREATE TABLE sends (
        sender_account    TEXT NOT NULL,
        sender_device     INTEGER NOT NULL,
        client_message_id TEXT NOT NULL,
        server_timestamp  INTEGER NOT NULL,
        PRIMARY KEY (sender_account, sender_device, client_message_id),
        FOREIGN KEY (sender_account) REFERENCES accounts(account_id) ON DELETE CASCADE
      ) STRICT;
      CREATE INDEX sends_age ON sends (server_timestamp);
      CREATE TABLE link_tokens (
        token_hash TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE provisioning (
        channel_id TEXT PRIMARY KEY,
        ciphertext BLOB,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE attachments (
        attachment_id TEXT PRIMARY KEY,
        bytes         BLOB NOT NULL,
        expires_at    INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX attachments_expiry ON attachments (expires_at);
    `,
  },
  {
    // MLS groups: KeyPackages per device, and per group its epoch, members and commit log.
    version: 2,
    sql: `
      CREATE TABLE mls_key_packages (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id  TEXT NOT NULL,
        device_id   INTEGER NOT NULL,
        key_package BLOB NOT NULL,
        FOREIGN KEY (account_id, device_id) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
      ) STRICT;
      CREATE INDEX mls_key_packages_device ON mls_key_packages (account_id, device_id, seq);
      CREATE TABLE mls_last_resort_key_packages (
        account_id  TEXT NOT NULL,
        device_id   INTEGER NOT NULL,
        key_package BLOB NOT NULL,
        PRIMARY KEY (account_id, device_id),
        FOREIGN KEY (account_id, device_id) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
      ) STRICT;
      CREATE TABLE groups (
        group_id   TEXT PRIMARY KEY,
        epoch      INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE group_members (
        group_id   TEXT NOT NULL REFERENCES groups(group_id) ON DELETE CASCADE,
        account_id TEXT NOT NULL,
        device_id  INTEGER NOT NULL,
        PRIMARY KEY (group_id, account_id, device_id)
      ) STRICT;
      CREATE TABLE group_handshakes (
        group_id         TEXT NOT NULL REFERENCES groups(group_id) ON DELETE CASCADE,
        epoch            INTEGER NOT NULL,
        sender_account   TEXT NOT NULL,
        sender_device    INTEGER NOT NULL,
        commit_message   BLOB NOT NULL,
        server_timestamp INTEGER NOT NULL,
        PRIMARY KEY (group_id, epoch)
      ) STRICT;
    `,
  },
  {
    // Attachments belong to the account that uploaded them and go when it is deleted. Blobs
    // stored before this migration have no owner and go when they expire.
    version: 3,
    sql: `
      ALTER TABLE attachments
        ADD COLUMN owner_account TEXT REFERENCES accounts(account_id) ON DELETE CASCADE;
      CREATE INDEX attachments_owner ON attachments (owner_account);
    `,
  },
  {
    // Delivery protocol 2. Queue positions (`seq`, already commit-ordered: one writer) are what
    // clients acknowledge, cumulatively, and guids are made from them (`<seq>_<epoch>`, the
    // epoch drawn here), so the unique guid index goes; guids of messages queued before this
    // migration are kept as they were. Expiry walks the queue in `seq` order, so the age index
    // goes too: each message now costs the table and one queue index. The AUTOINCREMENT counter
    // carries over, so no `seq` is ever reused. Send records become a WITHOUT ROWID table keyed
    // by what a retry looks up: one b-tree instead of a table and a unique index.
    version: 4,
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
      INSERT INTO meta VALUES ('queue_epoch', lower(hex(randomblob(8))));
      CREATE TABLE messages_v4 (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT,
        recipient_account TEXT NOT NULL,
        recipient_device  INTEGER NOT NULL,
        sender_account    TEXT NOT NULL,
        sender_device     INTEGER NOT NULL,
        client_message_id TEXT NOT NULL,
        type              INTEGER NOT NULL,
        content           BLOB NOT NULL,
        server_timestamp  INTEGER NOT NULL,
        legacy_guid       TEXT,
        FOREIGN KEY (recipient_account, recipient_device) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
      ) STRICT;
      INSERT INTO messages_v4
        SELECT seq, recipient_account, recipient_device, sender_account, sender_device,
               client_message_id, type, content, server_timestamp, guid
        FROM messages;
      DELETE FROM sqlite_sequence WHERE name = 'messages_v4';
      INSERT INTO sqlite_sequence (name, seq)
        SELECT 'messages_v4', seq FROM sqlite_sequence WHERE name = 'messages';
      DROP TABLE messages;
      ALTER TABLE messages_v4 RENAME TO messages;
      CREATE INDEX messages_queue ON messages (recipient_account, recipient_device, seq);
      CREATE TABLE sends_v4 (
        sender_account    TEXT NOT NULL,
        sender_device     INTEGER NOT NULL,
        client_message_id TEXT NOT NULL,
        server_timestamp  INTEGER NOT NULL,
        PRIMARY KEY (sender_account, sender_device, client_message_id),
        FOREIGN KEY (sender_account) REFERENCES accounts(account_id) ON DELETE CASCADE
      ) STRICT, WITHOUT ROWID;
      INSERT INTO sends_v4 SELECT * FROM sends;
      DROP TABLE sends;
      ALTER TABLE sends_v4 RENAME TO sends;
      CREATE INDEX sends_age ON sends (server_timestamp);
    `,
  },
  {
    // Issues 14 and 18: what an account publishes for its contacts, one row per account.
    version: 5,
    sql: `
      CREATE TABLE profiles (
        account_id          TEXT PRIMARY KEY REFERENCES accounts(account_id) ON DELETE CASCADE,
        delivery_token_hash BLOB,
        profile             BLOB
      ) STRICT;
    `,
  },
  {
    // Disappearing messages: the sender's expiry, honoured at delivery and by the sweep.
    version: 6,
    sql: `
      ALTER TABLE messages ADD COLUMN expires_at INTEGER;
      CREATE INDEX messages_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    // Issue 18, sealed group traffic: SHA-256 of the current epoch's group delivery token, and
    // of the previous epoch's (a post with it is told the epoch moved on).
    version: 7,
    sql: `
      ALTER TABLE groups ADD COLUMN delivery_token_hash BLOB;
      ALTER TABLE groups ADD COLUMN previous_token_hash BLOB;
    `,
  },
];
