/** Reads of the PostgreSQL backend: on the pool (committed data) or on a transaction's client. */
import { formatGuid } from '../storage/guid.js';
import { tokenHashes, type GroupReader, type MlsKeyPackageReader } from '../storage/group-types.js';
import type { MessageReader, QueuedMessage, Reader } from '../storage/types.js';
import {
  toAccount,
  toDevice,
  toHandshake,
  toKey,
  type AccountRow,
  type DeviceRow,
  type HandshakeRow,
  type KeyRow,
} from '../storage/rows.js';
import { pgProfileReader } from './profiles.js';
import type { Query } from './query.js';

/**
 * A device's queue depth in O(1), for a query over `devices d` with `QUEUE_DEPTH_JOINS`: messages
 * ever enqueued (its counter) minus messages ever removed (migration 4). Committed rows only,
 * like the count it replaces.
 */
export const QUEUE_DEPTH = 'coalesce(c.seq, 0) - coalesce(r.removed, 0)';
export const QUEUE_DEPTH_JOINS = `LEFT JOIN queue_counters c
    ON c.account_id = d.account_id AND c.device_id = d.device_id
  LEFT JOIN queue_removals r ON r.account_id = d.account_id AND r.device_id = d.device_id`;

interface MessageRow {
  seq: number;
  sender_account: string;
  sender_device: number;
  client_message_id: string;
  type: number;
  content: Uint8Array;
  server_timestamp: number;
  legacy_guid: string | null;
  expires_at: number | null;
}

async function one<R, T>(rows: Promise<{ rows: R[] }>, f: (r: R) => T): Promise<T | undefined> {
  const row = (await rows).rows[0];
  return row === undefined ? undefined : f(row);
}

async function count(rows: Promise<{ rows: { n: number }[] }>): Promise<number> {
  return (await rows).rows[0]?.n ?? 0;
}

export function pgMessageReader(q: Query, epoch: string): MessageReader {
  return {
    list: async (a, d, after, limit) => {
      const { rows } = await q<MessageRow & Record<string, unknown>>(
        `SELECT seq, sender_account, sender_device, client_message_id, type, content,
           server_timestamp, legacy_guid, expires_at FROM messages
         WHERE recipient_account = $1 AND recipient_device = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
        [a, d, after, limit],
      );
      return rows.map((r): QueuedMessage => ({
        seq: r.seq,
        guid: r.legacy_guid ?? formatGuid(r.seq, epoch),
        recipientAccountId: a,
        recipientDeviceId: d,
        senderAccountId: r.sender_account,
        senderDeviceId: r.sender_device,
        clientMessageId: r.client_message_id,
        type: r.type,
        content: r.content,
        serverTimestamp: r.server_timestamp,
        ...(r.expires_at === null ? {} : { expiresAt: r.expires_at }),
      }));
    },
    depth: (a, d) =>
      count(
        q(
          `SELECT (SELECT coalesce(max(seq), 0) FROM queue_counters
               WHERE account_id = $1 AND device_id = $2)
             - (SELECT coalesce(max(removed), 0) FROM queue_removals
               WHERE account_id = $1 AND device_id = $2) AS n`,
          [a, d],
        ),
      ),
    total: () => count(q('SELECT count(*) AS n FROM messages')),
    findSend: (a, d, id) =>
      one(
        q<{ server_timestamp: number }>(
          'SELECT server_timestamp FROM sends WHERE sender_account = $1 AND sender_device = $2 AND client_message_id = $3',
          [a, d, id],
        ),
        (r) => ({
          senderAccountId: a,
          senderDeviceId: d,
          clientMessageId: id,
          serverTimestamp: r.server_timestamp,
        }),
      ),
  };
}

export function pgGroupReaders(q: Query): {
  readonly mlsKeyPackages: MlsKeyPackageReader;
  readonly groups: GroupReader;
} {
  return {
    mlsKeyPackages: {
      count: (a, d) =>
        count(
          q('SELECT count(*) AS n FROM mls_key_packages WHERE account_id = $1 AND device_id = $2', [
            a,
            d,
          ]),
        ),
      hasLastResort: async (a, d) =>
        (await count(
          q(
            'SELECT count(*) AS n FROM mls_last_resort_key_packages WHERE account_id = $1 AND device_id = $2',
            [a, d],
          ),
        )) > 0,
    },
    groups: {
      get: async (groupId) => {
        const group = (
          await q<{
            epoch: number;
            created_at: number;
            delivery_token_hash: Uint8Array | null;
            previous_token_hash: Uint8Array | null;
          }>(
            'SELECT epoch, created_at, delivery_token_hash, previous_token_hash FROM groups WHERE group_id = $1',
            [groupId],
          )
        ).rows[0];
        if (group === undefined) return undefined;
        const { rows } = await q<{ account_id: string; device_id: number }>(
          'SELECT account_id, device_id FROM group_members WHERE group_id = $1 ORDER BY account_id COLLATE "C", device_id',
          [groupId],
        );
        const members = rows.map((m) => ({ accountId: m.account_id, deviceId: m.device_id }));
        return {
          groupId,
          epoch: group.epoch,
          members,
          createdAt: group.created_at,
          ...tokenHashes(group.delivery_token_hash, group.previous_token_hash),
        };
      },
      handshakes: async (groupId, fromEpoch, limit) =>
        (
          await q<HandshakeRow & Record<string, unknown>>(
            'SELECT * FROM group_handshakes WHERE group_id = $1 AND epoch >= $2 ORDER BY epoch LIMIT $3',
            [groupId, fromEpoch, limit],
          )
        ).rows.map(toHandshake),
    },
  };
}

export function pgReader(q: Query, epoch: string): Reader {
  return {
    accounts: {
      byId: (id) =>
        one(
          q<AccountRow & Record<string, unknown>>('SELECT * FROM accounts WHERE account_id = $1', [
            id,
          ]),
          toAccount,
        ),
      byUsername: (u) =>
        one(
          q<AccountRow & Record<string, unknown>>('SELECT * FROM accounts WHERE username = $1', [
            u.toLowerCase(),
          ]),
          toAccount,
        ),
    },
    devices: {
      get: (a, d) =>
        one(
          q<DeviceRow & Record<string, unknown>>(
            'SELECT * FROM devices WHERE account_id = $1 AND device_id = $2',
            [a, d],
          ),
          toDevice,
        ),
      list: async (a) =>
        (
          await q<DeviceRow & Record<string, unknown>>(
            'SELECT * FROM devices WHERE account_id = $1 ORDER BY device_id',
            [a],
          )
        ).rows.map(toDevice),
      routes: async (a) =>
        (
          await q<{ device_id: number; registration_id: number; n: number }>(
            `SELECT d.device_id, d.registration_id, ${QUEUE_DEPTH} AS n
             FROM devices d ${QUEUE_DEPTH_JOINS} WHERE d.account_id = $1 ORDER BY d.device_id`,
            [a],
          )
        ).rows.map((r) => ({
          deviceId: r.device_id,
          registrationId: r.registration_id,
          queueDepth: r.n,
        })),
    },
    deviceLists: {
      get: (a) =>
        one(
          q<{ version: number; blob: Uint8Array }>(
            'SELECT version, blob FROM device_lists WHERE account_id = $1',
            [a],
          ),
          (r) => ({ accountId: a, version: r.version, blob: r.blob }),
        ),
    },
    keys: {
      signed: (a, d, kind) =>
        one(
          q<KeyRow & Record<string, unknown>>(
            'SELECT key_id, public_key, signature FROM signed_keys WHERE account_id = $1 AND device_id = $2 AND kind = $3',
            [a, d, kind],
          ),
          toKey,
        ),
      count: (a, d, kind) =>
        count(
          q(
            'SELECT count(*) AS n FROM one_time_keys WHERE account_id = $1 AND device_id = $2 AND kind = $3',
            [a, d, kind],
          ),
        ),
    },
    messages: pgMessageReader(q, epoch),
    provisioning: {
      get: (id, now) =>
        one(
          q<{ ciphertext: Uint8Array | null; expires_at: number }>(
            'SELECT ciphertext, expires_at FROM provisioning WHERE channel_id = $1 AND expires_at > $2',
            [id, now],
          ),
          (r) => ({ channelId: id, ciphertext: r.ciphertext, expiresAt: r.expires_at }),
        ),
    },
    attachments: {
      get: (id, now) =>
        one(
          q<{ bytes: Uint8Array; expires_at: number }>(
            'SELECT bytes, expires_at FROM attachments WHERE attachment_id = $1 AND expires_at > $2',
            [id, now],
          ),
          (r) => ({ attachmentId: id, bytes: r.bytes, expiresAt: r.expires_at }),
        ),
    },
    ...pgGroupReaders(q),
    profiles: pgProfileReader(q),
  };
}
