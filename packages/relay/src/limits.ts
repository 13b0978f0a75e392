/**
 * Bounds the relay enforces beyond the wire contract (`@parley/api` limits), each with its
 * reason. Every queue, timer and per-connection buffer is sized by one of these.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

/** Most messages queued for one device: a device offline for long cannot fill the disk. */
export const MAX_QUEUE_DEPTH = 10_000;

/** Oldest a queued message may be before it is dropped (the 30-day default). */
export const MAX_MESSAGE_AGE_MS = 30 * DAY;

/** How long a client message id is remembered for idempotency: as long as the message may wait. */
export const SEND_ID_RETENTION_MS = MAX_MESSAGE_AGE_MS;

/** Most one-time keys of each kind stored per device (a client uploads about a hundred). */
export const MAX_ONE_TIME_KEYS_PER_DEVICE = 1_000;

/** Below this many one-time keys of either kind the device is told to upload more. */
export const LOW_ONE_TIME_KEYS = 10;

/** A link token lives long enough for a person to scan a code and confirm. */
export const LINK_TOKEN_TTL_MS = 10 * MINUTE;

/** A provisioning channel lives as long as a link token. */
export const PROVISIONING_TTL_MS = LINK_TOKEN_TTL_MS;

/** Attachments are kept as long as the messages that refer to them may wait. */
export const ATTACHMENT_TTL_MS = MAX_MESSAGE_AGE_MS;

/** An upload left incomplete this long is deleted (the client starts again). */
export const UPLOAD_TTL_MS = DAY;

/** Most incomplete uploads one account may have at once. */
export const MAX_INCOMPLETE_UPLOADS_PER_ACCOUNT = 8;

/** Most blob bytes (declared sizes of unexpired blobs) one account may hold: a few hundred files. */
export const MAX_BLOB_BYTES_PER_ACCOUNT = 4 * 1024 * 1024 * 1024;

/** How often expired messages, send ids, tokens, channels and attachments are swept. */
export const SWEEP_INTERVAL_MS = MINUTE;

/** Most expired rows one sweep deletes per kind, so a sweep never holds the writer for long. */
export const SWEEP_BATCH = 5_000;

/**
 * How long an idle HTTP keep-alive connection stays open. Node's default (5 s) is shorter than a
 * client's pause between two requests on a loaded machine (a registration generating its
 * prekeys): a client that then reuses the connection the relay has just closed fails its request
 * ("other side closed", `UNREACHABLE`). Clients read this from the `Keep-Alive` header and drop an
 * idle connection a second before the relay does.
 */
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 65 * SECOND;

/** A WebSocket must authenticate within this time or it is closed. */
export const WS_AUTH_TIMEOUT_MS = 10 * SECOND;

/** Interval between WebSocket pings; a connection that misses one full interval is closed. */
export const WS_HEARTBEAT_INTERVAL_MS = 30 * SECOND;

/**
 * The heartbeat visits a hundredth of the connections every hundredth of the interval: pinging
 * 18,000 sockets at once would stall the event loop for about a second, and a tenth of 10,000
 * at once (a thousand socket writes) cost a stall of tens of milliseconds every 3 s. Only
 * connections that sent nothing since the last visit are pinged.
 */
export const HEARTBEAT_SLICES = 100;

/**
 * The heartbeat's timer fires at most this often (fewer slices for a short interval): a timer
 * due every few milliseconds slips under load, and every slip stretches the whole cycle.
 */
export const HEARTBEAT_MIN_TICK_MS = 50;

/**
 * Bytes queued in a socket's send buffer above which the relay stops pushing to it until it
 * drains (a slow consumer must not make the relay buffer its whole queue in memory).
 */
export const WS_MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * Frames a connection sends in one turn of the event loop are copied into one buffer and written
 * once; past this many bytes they are written at once (a full push window of large envelopes is
 * not copied into one multi-megabyte buffer).
 */
export const WS_WRITE_CHUNK_BYTES = 64 * 1024;

/**
 * Sends of one connection being stored at once, past which the relay stops reading its socket
 * until half are answered: a client pipelining sends without waiting is slowed by TCP instead
 * of growing the relay's memory (a full window of 256 sends, plus slack).
 */
export const WS_MAX_PENDING_SENDS = 1024;

/** Most WebSocket connections one relay process accepts (the machine allows about 19,000 fds). */
export const MAX_CONNECTIONS = 18_000;

/** Default requests per second per IP address, and the burst allowed above it. */
export const RATE_LIMIT_IP_PER_SECOND = 1_000;
export const RATE_LIMIT_IP_BURST = 2_000;

/** Default requests per second per account (all its devices), and the burst above it. */
export const RATE_LIMIT_ACCOUNT_PER_SECOND = 200;
export const RATE_LIMIT_ACCOUNT_BURST = 400;

/** Most rate-limit buckets kept in memory; the oldest are evicted past this. */
export const MAX_RATE_LIMIT_BUCKETS = 100_000;

/** Most WebSocket frames per second one connection may send before it is closed. */
export const WS_MAX_FRAMES_PER_SECOND = 1_000;

/**
 * Group commit: a batch is flushed once this many transactions are pending (one transaction and
 * one fsync for all of them); the bound keeps one batch's latency and memory small. Tuned in the
 * README's measurements.
 */
export const GROUP_COMMIT_MAX_BATCH = 512;

/**
 * Group commit: a batch is flushed at most this long after its first transaction arrived, even
 * if fewer than `GROUP_COMMIT_MAX_BATCH` are pending: the latency a send may pay under load so
 * that many share one COMMIT and fsync. SQLite's CPU per message falls from ≈ 150 µs in batches
 * of 4 (what 2 ms gave at 2,000/s on a quiet machine) to ≈ 70 µs in batches of 32 (README,
 * "Performance"). A transaction arriving after an idle window is flushed at once
 * (`group-window.ts`).
 */
export const GROUP_COMMIT_WINDOW_MS = 10;

/**
 * The same window on PostgreSQL, where a window costs far more fixed work than on SQLite (7
 * statements and their round trips, whatever its size): at 10 ms and a few hundred messages
 * per second most windows held one or two sends. Measured on a quiet machine (N = 10,000, one
 * node, 400 and 800 msg/s, three alternated rounds; packages/relay/README.md): relay CPU per
 * message 1,098 → 902 µs and 594 → 445 µs, p99 33–168 → 47–87 ms.
 */
export const PG_GROUP_COMMIT_WINDOW_MS = 25;
/**
 * Least time between two deletes of acknowledged messages on a storage that deletes them in one
 * statement of their own (`Storage.deleteAcknowledged`, PostgreSQL): the acks of every device in
 * between go in the next one, as the acks of a window do on the transaction path. A delete that
 * waits costs nothing but a re-delivery (with the same guid, which clients drop) if the node
 * dies before it; until then a reconnecting device starts after its acknowledged floor.
 */
export const ACK_DELETE_INTERVAL_MS = 50;

/**
 * Least time between two WAL checkpoints (run on a worker thread): often enough to keep the WAL
 * small, rarely enough that a page written many times is copied back once.
 */
export const CHECKPOINT_INTERVAL_MS = 250;

/**
 * Largest the WAL may grow (if checkpoints cannot keep up or a reader holds it) before the
 * storage truncates it between batches, stalling the event loop once instead of filling the disk.
 */
export const MAX_WAL_BYTES = 256 * 1024 * 1024;

/**
 * Most attachment uploads being received at once: each is buffered whole (16 MiB at most), so
 * this caps their memory at 128 MiB; more get UNAVAILABLE and retry.
 */
export const MAX_CONCURRENT_UPLOADS = 8;

/** How long graceful shutdown waits for in-flight requests before closing connections anyway. */
export const SHUTDOWN_GRACE_MS = 10 * SECOND;

/**
 * Provisioning polls waiting at once (each holds a request open for up to
 * `MAX_PROVISIONING_WAIT_S`); past it a poll answers at once, as before long polls.
 */
export const MAX_PROVISIONING_WAITERS = 10_000;

/**
 * Unauthenticated (sealed sender) sends per second from one source address, and the burst above
 * it. Checked before the delivery token's bucket, and below the token's rate and burst, so one
 * address flooding is stopped without draining the recipient's bucket: senders at other
 * addresses still get through. (Many users behind one NAT share this.)
 */
export const RATE_LIMIT_SEALED_IP_PER_SECOND = 2;
export const RATE_LIMIT_SEALED_IP_BURST = 50;

/**
 * Unauthenticated sends per second admitted by one delivery token (one recipient account), and
 * the burst: a busy conversation or a group's control traffic fits; a flood from many addresses
 * is held to this rate (and to `SEALED_QUEUE_SHARE` of each queue), and a refused sender falls
 * back to authenticated sending.
 */
export const RATE_LIMIT_SEALED_TOKEN_PER_SECOND = 10;
export const RATE_LIMIT_SEALED_TOKEN_BURST = 200;

/**
 * Share of a device's queue (`MAX_QUEUE_DEPTH`) that sealed envelopes may fill: past it a sealed
 * send is `QUEUE_FULL`, so a flood admitted by a leaked token leaves room for authenticated
 * messages (from the account's contacts falling back, and its own devices).
 */
export const SEALED_QUEUE_SHARE = 0.5;

/**
 * Most bytes one multi-recipient sealed send may store across its devices' queues (each device
 * gets its own copy of the shared body): bounds the memory and disk one unauthenticated request
 * can claim. A 1 KiB message still reaches every device of `MAX_SEALED_MULTI_ACCOUNTS` accounts;
 * the largest body (64 KiB) reaches about 500 devices.
 */
export const MAX_SEALED_MULTI_FANOUT_BYTES = 32 * 1024 * 1024;
