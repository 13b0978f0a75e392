/**
 * Writes of the PostgreSQL backend, inside a batch's transaction on one client. Enqueued messages
 * take their `seq` from the device's counter row at once (the row stays locked until COMMIT, so
 * a later commit for the device always gets a larger `seq`), but their rows wait in `tx.queued`,
 * and send records in `tx.sends`; each kind goes in with one multi-row INSERT when the batch
 * ends, or before any other statement of the transaction that could see them. The steps of a
 * send (duplicate check, routes, enqueue, send record) see the buffers instead, so a window of
 * sends costs per send a duplicate check, a routes read and a counter bump.
 */
import { formatGuid, parseGuid } from '../storage/guid.js';
import {
  GroupExistsError,
  sortMembers,
  type GroupMemberRecord,
  type GroupWriter,
  type MlsKeyPackageWriter,
} from '../storage/group-types.js';
import {
  UsernameTakenError,
  type MessageWriter,
  type QueuedMessage,
  type SendRecord,
  type Writer,
} from '../storage/types.js';
import type { Query } from './query.js';
import { toKey, type KeyRow } from '../storage/rows.js';
import { pgProfileWriter } from './profiles.js';
import { pgGroupReaders, pgMessageReader, pgReader } from './reader.js';

/** One batch's transaction. */
export interface TxState {
  readonly q: Query;
  readonly epoch: string;
  /** Enqueued messages not yet inserted. */
  queued: QueuedMessage[];
  /** Send records not yet inserted (at most one per sender and client message id). */
  sends: SendRecord[];
  /** Set by every write (the committer knows whether a failed callback left anything). */
  wrote: boolean;
  /** Statements run (for the bench's cost per message). */
  statements: number;
  /**
   * Per device (`deviceKey`), the lowest `seq` this transaction inserted: a window in flight
   * beside it that took a higher one for the same device committed after it.
   */
  readonly seqs: Map<string, number>;
  /**
   * Takes a send key (`sendKey`) for this window, false if another window in flight holds it
   * (whose uncommitted send record a duplicate check here would not see). Absent: every key.
   */
  readonly claim?: (key: string) => boolean;
  /** Set when `claim` refused a key: the window must run again after the other one. */
  claimed: boolean;
}

/** A send key another window in flight holds: this window runs again once that one has ended. */
export class SendClaimedError extends Error {
  override readonly name = 'SendClaimedError';
  constructor() {
    super('another window holds this send');
  }
}

export const deviceKey = (a: string, d: number): string => `${a}\u0000${String(d)}`;
export const sendKey = (a: string, d: number, id: string): string =>
  `${deviceKey(a, d)}\u0000${id}`;

/** Takes the send key for `tx`'s window (see `TxState.claim`); false, and `claimed`, if not. */
export function claimSend(tx: TxState, a: string, d: number, id: string): boolean {
  if (tx.claim === undefined || tx.claim(sendKey(a, d, id))) return true;
  tx.claimed = true;
  return false;
}

const INSERT_MESSAGES = `INSERT INTO messages (recipient_account, recipient_device, seq, sender_account,
  sender_device, client_message_id, type, content, server_timestamp, expires_at)
  SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::int[], $6::text[],
    $7::int[], $8::bytea[], $9::bigint[], $10::bigint[])`;

const INSERT_SENDS = `INSERT INTO sends
  SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[])
  ON CONFLICT (sender_account, sender_device, client_message_id)
  DO UPDATE SET server_timestamp = excluded.server_timestamp`;

/** Inserts the transaction's buffered messages and send records, one statement for each kind. */
export async function flushQueued(tx: TxState): Promise<void> {
  const sends = tx.sends;
  if (sends.length > 0) {
    tx.sends = [];
    await tx.q(INSERT_SENDS, [
      sends.map((r) => r.senderAccountId),
      sends.map((r) => r.senderDeviceId),
      sends.map((r) => r.clientMessageId),
      sends.map((r) => r.serverTimestamp),
    ]);
  }
  const rows = tx.queued;
  if (rows.length === 0) return;
  tx.queued = [];
  for (const m of rows) {
    const k = deviceKey(m.recipientAccountId, m.recipientDeviceId);
    const low = tx.seqs.get(k);
    if (low === undefined || m.seq < low) tx.seqs.set(k, m.seq);
  }
  await tx.q(INSERT_MESSAGES, [
    rows.map((m) => m.recipientAccountId),
    rows.map((m) => m.recipientDeviceId),
    rows.map((m) => m.seq),
    rows.map((m) => m.senderAccountId),
    rows.map((m) => m.senderDeviceId),
    rows.map((m) => m.clientMessageId),
    rows.map((m) => m.type),
    rows.map((m) => Buffer.from(m.content.buffer, m.content.byteOffset, m.content.byteLength)),
    rows.map((m) => m.serverTimestamp),
    rows.map((m) => m.expiresAt ?? null),
  ]);
}

/** The buffered send record for this sender and client message id, if any. */
function bufferedSend(tx: TxState, a: string, d: number, id: string): SendRecord | undefined {
  return tx.sends.find(
    (r) => r.clientMessageId === id && r.senderDeviceId === d && r.senderAccountId === a,
  );
}

function messageWriter(tx: TxState): MessageWriter {
  const { q, epoch } = tx;
  const reader = pgMessageReader(q, epoch);
  return {
    ...reader,
    findSend: async (a, d, id) => {
      if (!claimSend(tx, a, d, id)) throw new SendClaimedError();
      return bufferedSend(tx, a, d, id) ?? reader.findSend(a, d, id);
    },
    enqueue: async (m) => {
      const { rows } = await q<{ seq: number }>(
        `INSERT INTO queue_counters AS c VALUES ($1, $2, 1)
         ON CONFLICT (account_id, device_id) DO UPDATE SET seq = c.seq + 1 RETURNING seq`,
        [m.recipientAccountId, m.recipientDeviceId],
      );
      const seq = rows[0]?.seq;
      if (seq === undefined) throw new Error('queue counter not returned');
      const queued: QueuedMessage = { ...m, seq, guid: formatGuid(seq, epoch) };
      tx.queued.push(queued);
      return queued;
    },
    recordSend: (r) => {
      if (!claimSend(tx, r.senderAccountId, r.senderDeviceId, r.clientMessageId))
        return Promise.reject(new SendClaimedError());
      const buffered = tx.sends.findIndex(
        (b) =>
          b.clientMessageId === r.clientMessageId &&
          b.senderDeviceId === r.senderDeviceId &&
          b.senderAccountId === r.senderAccountId,
      );
      if (buffered >= 0) tx.sends[buffered] = r;
      else tx.sends.push(r);
      return Promise.resolve();
    },
    delete: async (a, d, guids) => {
      const seqs: number[] = [];
      const legacy: string[] = [];
      for (const g of guids) {
        const seq = parseGuid(g, epoch);
        if (seq === undefined) legacy.push(g);
        else seqs.push(seq);
      }
      const { rowCount } = await q(
        `DELETE FROM messages WHERE recipient_account = $1 AND recipient_device = $2
           AND ((seq = ANY($3::bigint[]) AND legacy_guid IS NULL) OR legacy_guid = ANY($4::text[]))`,
        [a, d, seqs, legacy],
      );
      return rowCount;
    },
    deleteUpTo: async (a, d, upTo) =>
      (
        await q(
          'DELETE FROM messages WHERE recipient_account = $1 AND recipient_device = $2 AND seq <= $3',
          [a, d, upTo],
        )
      ).rowCount,
    deleteOlderThan: async (before, limit) =>
      (
        await q(
          `DELETE FROM messages WHERE ctid IN (
             SELECT ctid FROM messages WHERE server_timestamp < $1 LIMIT $2)`,
          [before, limit],
        )
      ).rowCount,
    deleteExpired: async (now, limit) =>
      (
        await q(
          `DELETE FROM messages WHERE ctid IN (
             SELECT ctid FROM messages WHERE expires_at <= $1 LIMIT $2)`,
          [now, limit],
        )
      ).rowCount,
    deleteSendsOlderThan: async (before, limit) =>
      (
        await q(
          `DELETE FROM sends WHERE ctid IN (
             SELECT ctid FROM sends WHERE server_timestamp < $1 LIMIT $2)`,
          [before, limit],
        )
      ).rowCount,
  };
}

function groupWriters(q: Query): {
  readonly mlsKeyPackages: MlsKeyPackageWriter;
  readonly groups: GroupWriter;
} {
  const r = pgGroupReaders(q);
  const setMembers = async (
    groupId: string,
    members: readonly GroupMemberRecord[],
  ): Promise<void> => {
    await q('DELETE FROM group_members WHERE group_id = $1', [groupId]);
    const sorted = sortMembers(members);
    if (sorted.length === 0) return;
    await q('INSERT INTO group_members SELECT $1, * FROM unnest($2::text[], $3::int[])', [
      groupId,
      sorted.map((m) => m.accountId),
      sorted.map((m) => m.deviceId),
    ]);
  };
  return {
    mlsKeyPackages: {
      ...r.mlsKeyPackages,
      add: async (a, d, packages) => {
        if (packages.length === 0) return;
        await q(
          'INSERT INTO mls_key_packages (account_id, device_id, key_package) SELECT $1, $2, * FROM unnest($3::bytea[])',
          [a, d, packages.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))],
        );
      },
      setLastResort: async (a, d, keyPackage) => {
        await q(
          `INSERT INTO mls_last_resort_key_packages VALUES ($1, $2, $3)
           ON CONFLICT (account_id, device_id) DO UPDATE SET key_package = excluded.key_package`,
          [a, d, keyPackage],
        );
      },
      // One-time claims: the row is locked as it is picked; a concurrent claim on another node
      // skips it and takes the next, so no package is ever handed out twice.
      claim: async (a, d) => {
        const taken = (
          await q<{ key_package: Uint8Array }>(
            `DELETE FROM mls_key_packages WHERE seq = (
               SELECT seq FROM mls_key_packages WHERE account_id = $1 AND device_id = $2
               ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING key_package`,
            [a, d],
          )
        ).rows[0];
        if (taken !== undefined) return { keyPackage: taken.key_package, lastResort: false };
        const last = (
          await q<{ key_package: Uint8Array }>(
            'SELECT key_package FROM mls_last_resort_key_packages WHERE account_id = $1 AND device_id = $2',
            [a, d],
          )
        ).rows[0];
        return last === undefined ? undefined : { keyPackage: last.key_package, lastResort: true };
      },
    },
    groups: {
      ...r.groups,
      create: async (record) => {
        const { rowCount } = await q(
          'INSERT INTO groups VALUES ($1, $2, $3) ON CONFLICT (group_id) DO NOTHING',
          [record.groupId, record.epoch, record.createdAt],
        );
        if (rowCount !== 1) throw new GroupExistsError();
        await setMembers(record.groupId, record.members);
      },
      // The epoch moves only from the expected value: of two racing commits (on any nodes), the
      // second waits for the first's row lock, then finds the epoch moved and changes nothing.
      advance: async (h, members) => {
        const { rowCount } = await q(
          'UPDATE groups SET epoch = epoch + 1 WHERE group_id = $1 AND epoch = $2',
          [h.groupId, h.epoch],
        );
        if (rowCount !== 1) return false;
        await q('INSERT INTO group_handshakes VALUES ($1, $2, $3, $4, $5, $6)', [
          h.groupId,
          h.epoch,
          h.senderAccountId,
          h.senderDeviceId,
          h.commit,
          h.serverTimestamp,
        ]);
        await setMembers(h.groupId, members);
        return true;
      },
    },
  };
}

function baseWriter(tx: TxState): Writer {
  const { q } = tx;
  const r = pgReader(q, tx.epoch);
  return {
    accounts: {
      ...r.accounts,
      create: async (a) => {
        const { rowCount } = await q(
          'INSERT INTO accounts VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
          [a.accountId, a.username, a.identityKey, a.createdAt],
        );
        if (rowCount !== 1) throw new UsernameTakenError();
      },
      setIdentityKey: async (id, key) => {
        await q('UPDATE accounts SET identity_key = $1 WHERE account_id = $2', [key, id]);
      },
      delete: async (id) => {
        await q('DELETE FROM accounts WHERE account_id = $1', [id]);
      },
    },
    devices: {
      ...r.devices,
      add: async (d) => {
        await q('INSERT INTO devices VALUES ($1, $2, $3, $4, $5, $6)', [
          d.accountId,
          d.deviceId,
          d.registrationId,
          d.identityKey,
          d.secretHash,
          d.createdAt,
        ]);
      },
      remove: async (a, d) => {
        await q('DELETE FROM devices WHERE account_id = $1 AND device_id = $2', [a, d]);
      },
    },
    deviceLists: {
      ...r.deviceLists,
      put: async (l) => {
        await q(
          `INSERT INTO device_lists VALUES ($1, $2, $3)
           ON CONFLICT (account_id) DO UPDATE SET version = excluded.version, blob = excluded.blob`,
          [l.accountId, l.version, l.blob],
        );
      },
    },
    keys: {
      ...r.keys,
      setSigned: async (a, d, kind, k) => {
        await q(
          `INSERT INTO signed_keys VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (account_id, device_id, kind) DO UPDATE SET key_id = excluded.key_id,
             public_key = excluded.public_key, signature = excluded.signature`,
          [a, d, kind, k.keyId, k.publicKey, k.signature],
        );
      },
      addOneTime: async (a, d, kind, keys) => {
        if (keys.length === 0) return;
        // Later duplicates of a key id in one call win, as one INSERT per key would leave it.
        const last = new Map(keys.map((k) => [k.keyId, k]));
        const unique = [...last.values()];
        await q(
          `INSERT INTO one_time_keys SELECT $1, $2, $3, * FROM unnest($4::bigint[], $5::bytea[], $6::bytea[])
           ON CONFLICT (account_id, device_id, kind, key_id) DO UPDATE SET
             public_key = excluded.public_key, signature = excluded.signature`,
          [
            a,
            d,
            kind,
            unique.map((k) => k.keyId),
            unique.map((k) =>
              Buffer.from(k.publicKey.buffer, k.publicKey.byteOffset, k.publicKey.byteLength),
            ),
            unique.map((k) =>
              Buffer.from(k.signature.buffer, k.signature.byteOffset, k.signature.byteLength),
            ),
          ],
        );
      },
      // One-time prekey claims: SKIP LOCKED, so two nodes claiming at once get different keys.
      takeOneTime: async (a, d, kind) => {
        const row = (
          await q<KeyRow & Record<string, unknown>>(
            `DELETE FROM one_time_keys WHERE (account_id, device_id, kind, key_id) = (
               SELECT account_id, device_id, kind, key_id FROM one_time_keys
               WHERE account_id = $1 AND device_id = $2 AND kind = $3
               ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING key_id, public_key, signature`,
            [a, d, kind],
          )
        ).rows[0];
        return row === undefined ? undefined : toKey(row);
      },
    },
    messages: messageWriter(tx),
    linkTokens: {
      put: async (t) => {
        await q(
          `INSERT INTO link_tokens VALUES ($1, $2, $3) ON CONFLICT (token_hash)
           DO UPDATE SET account_id = excluded.account_id, expires_at = excluded.expires_at`,
          [t.tokenHash, t.accountId, t.expiresAt],
        );
      },
      take: async (hash, now) => {
        const row = (
          await q<{ account_id: string; expires_at: number }>(
            'DELETE FROM link_tokens WHERE token_hash = $1 RETURNING account_id, expires_at',
            [hash],
          )
        ).rows[0];
        return row !== undefined && row.expires_at > now
          ? { tokenHash: hash, accountId: row.account_id, expiresAt: row.expires_at }
          : undefined;
      },
      deleteExpired: async (now, limit) =>
        (
          await q(
            'DELETE FROM link_tokens WHERE ctid IN (SELECT ctid FROM link_tokens WHERE expires_at <= $1 LIMIT $2)',
            [now, limit],
          )
        ).rowCount,
    },
    provisioning: {
      ...r.provisioning,
      open: async (p) => {
        await q(
          `INSERT INTO provisioning VALUES ($1, $2, $3) ON CONFLICT (channel_id)
           DO UPDATE SET ciphertext = excluded.ciphertext, expires_at = excluded.expires_at`,
          [p.channelId, p.ciphertext, p.expiresAt],
        );
      },
      deliver: async (id, ciphertext, now) =>
        (
          await q(
            'UPDATE provisioning SET ciphertext = $1 WHERE channel_id = $2 AND expires_at > $3',
            [ciphertext, id, now],
          )
        ).rowCount > 0,
      close: async (id) => {
        await q('DELETE FROM provisioning WHERE channel_id = $1', [id]);
      },
      deleteExpired: async (now, limit) =>
        (
          await q(
            'DELETE FROM provisioning WHERE ctid IN (SELECT ctid FROM provisioning WHERE expires_at <= $1 LIMIT $2)',
            [now, limit],
          )
        ).rowCount,
    },
    attachments: {
      ...r.attachments,
      put: async (a, owner) => {
        await q(
          'INSERT INTO attachments (attachment_id, bytes, expires_at, owner_account) VALUES ($1, $2, $3, $4)',
          [a.attachmentId, a.bytes, a.expiresAt, owner],
        );
      },
      deleteExpired: async (now, limit) =>
        (
          await q(
            'DELETE FROM attachments WHERE ctid IN (SELECT ctid FROM attachments WHERE expires_at <= $1 LIMIT $2)',
            [now, limit],
          )
        ).rowCount,
    },
    ...groupWriters(q),
    profiles: pgProfileWriter(q),
  };
}

/**
 * Methods that need no flush of the buffers first: they only append to them, read what they
 * also find in them (`findSend`), read queue depths (counters: an enqueue bumps its device's
 * counter at once, buffered or not), or touch neither messages nor sends.
 */
const SEES_NO_BUFFER = new Set([
  'messages.enqueue',
  'messages.recordSend',
  'messages.findSend',
  'devices.routes',
  'messages.depth',
  'accounts.byId',
]);

/**
 * The transaction's writer: every method but a read marks `tx.wrote`; every method that could
 * see buffered rows first inserts them (`flushQueued`).
 */
export function pgWriter(tx: TxState): Writer {
  const writer = baseWriter(tx);
  const reads = pgReader(tx.q, tx.epoch) as unknown as Record<string, object>;
  const wrapped: Record<string, Record<string, unknown>> = {};
  for (const [kind, methods] of Object.entries(writer)) {
    const readNames = new Set(Object.keys(reads[kind] ?? {}));
    const out: Record<string, unknown> = {};
    for (const [name, method] of Object.entries(methods as Record<string, unknown>)) {
      const f = method as (...a: unknown[]) => Promise<unknown>;
      const isRead = readNames.has(name);
      const flush = !SEES_NO_BUFFER.has(`${kind}.${name}`);
      out[name] = async (...args: unknown[]) => {
        if (!isRead) tx.wrote = true;
        if (flush) await flushQueued(tx);
        return f(...args);
      };
    }
    wrapped[kind] = out;
  }
  return wrapped as unknown as Writer;
}
