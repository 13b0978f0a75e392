/** Every bound the web client enforces, with its reason. */

/**
 * PBKDF2-SHA-256 iterations for the optional passphrase (OWASP's 2023 figure for this hash);
 * WebCrypto runs it natively, about a second on a phone.
 */
export const PASSPHRASE_PBKDF2_ITERATIONS = 600_000;

/**
 * How long a new engine keeps trying to open the OPFS pool: the previous engine's tab may still
 * be releasing its file handles when the lock passes on.
 */
export const STORE_OPEN_TIMEOUT_MS = 10_000;
/** Pause between those attempts. */
export const STORE_OPEN_RETRY_MS = 25;

/** Most timeline items one request returns (the list shows at most a few screens at once). */
export const MAX_TIMELINE_PAGE = 200;
/** Most search hits one request returns. */
export const MAX_SEARCH_HITS = 100;
/** Longest search query, in characters. */
export const MAX_QUERY_CHARS = 200;
/** Longest username typed into the UI, in characters (the relay checks its own rules). */
export const MAX_USERNAME_CHARS = 64;
/** Notices kept in memory for tabs that open later. */
export const MAX_NOTICES = 50;
/** Longest group name typed into the UI, in characters (the SDK bounds its UTF-8 bytes too). */
export const MAX_GROUP_NAME_CHARS = 100;
/** Most people named in one request (creating a group, adding or removing members). */
export const MAX_USERS_PER_REQUEST = 100;
/**
 * Newest messages a conversation's summary record keeps: the first page the timeline asks for
 * (`PAGE_SIZE` in `app-state.ts`), so a conversation opens before the history index is built.
 */
export const SUMMARY_RECENT = 50;
/**
 * Most bytes of messages a summary record keeps (it is sealed again at every message commit of
 * its conversation): long messages leave fewer than `SUMMARY_RECENT` in it, and opening that
 * conversation before the history is indexed then waits for the index.
 */
export const MAX_SUMMARY_BYTES = 64 * 1024;
/** Stored records read (and decrypted) per page by the background history index. */
export const INDEX_PAGE = 50;
/**
 * How long the background history index works before it lets waiting requests run (a request
 * waits at most about this long for it, plus one page).
 */
export const INDEX_SLICE_MS = 12;
/**
 * How long after a request a person waits on (`INTERACTIVE_REQUESTS`) the engine's background
 * work (index slices, the catch-up after a connection) holds back (ms): the time for the page to
 * draw the answer and for the requests that follow it (an open's read mark and key check, the
 * next click) to be answered without a background slice before them.
 */
export const INTERACTIVE_QUIET_MS = 250;
/**
 * The longest background work holds back for interactive requests (ms), however often they
 * come: a tab that searches at every keystroke or polls cannot keep the index from finishing.
 */
export const MAX_BACKGROUND_DEFER_MS = 1000;
/** Characters of a quoted message a reply shows (the rest is a click away). */
export const MAX_QUOTE_EXCERPT_CHARS = 120;
/** Longest reaction the UI sends, in characters (the SDK bounds it too). */
export const MAX_REACTION_CHARS = 32;
/** Thumbnails made for images sent from the browser: longest side (px) and JPEG qualities tried. */
export const THUMBNAIL_ATTEMPTS: readonly (readonly [side: number, quality: number])[] = [
  [96, 0.7],
  [96, 0.5],
  [64, 0.6],
  [48, 0.5],
  [32, 0.4],
];
/** Largest image file a thumbnail is made from (bigger ones are sent without one). */
export const MAX_THUMBNAIL_SOURCE_BYTES = 16 * 1024 * 1024;
/** Bytes of a file read at a time while it is encrypted and uploaded. */
export const FILE_READ_CHUNK_BYTES = 1024 * 1024;

/**
 * The longest the engine's expiry timer waits before it looks again (ms): a timer set to the
 * earliest `expiresAt` it knows, capped here so a far expiry is re-checked hourly.
 */
export const MAX_EXPIRY_WAIT_MS = 60 * 60 * 1000;
/**
 * The shortest wait between two expiry sweeps (ms), so messages expiring within this of each
 * other go in one sweep (each one transaction of the SDK over its expiry index).
 */
export const MIN_EXPIRY_WAIT_MS = 1000;
/**
 * After a sweep, at least this many times its own duration passes before the next one, so a
 * contact who sends a message with a new expiry every second cannot keep the engine sweeping
 * without pause (here: at most a tenth of its time). Sweeps read the SDK's expiry index and the
 * expired messages, not the whole history, so this rarely binds now.
 */
export const EXPIRY_SWEEP_COST_FACTOR = 10;

/** Longest display name shown or set, in characters (the SDK's `MAX_PROFILE_NAME_LENGTH`). */
export const MAX_PROFILE_NAME_CHARS = 64;
/** Avatars made from a picked image: longest side (px) and JPEG qualities tried, in order. */
export const AVATAR_ATTEMPTS: readonly (readonly [side: number, quality: number])[] = [
  [256, 0.8],
  [192, 0.7],
  [128, 0.7],
  [96, 0.6],
];
/**
 * Largest avatar JPEG: it rides base64 inside the sealed profile, which the relay takes up to
 * 96 KiB (`MAX_PROFILE_BYTES`); the CLI's limit on an avatar file is 64 KiB.
 */
export const MAX_AVATAR_BYTES = 48 * 1024;
/** Largest image file an avatar is made from (bigger ones are refused before decoding). */
export const MAX_AVATAR_SOURCE_BYTES = 16 * 1024 * 1024;
/**
 * The shortest time between two reads of one contact's profile at the relay (ms): it is read
 * again when a message from them arrives or their conversation opens, at most this often.
 */
export const PROFILE_REFRESH_MS = 10_000;
/** Contacts whose profiles are read when the engine starts (the most recent conversations). */
export const MAX_PROFILES_AT_START = 100;
/** Profiles the engine keeps in memory (name and avatar); the oldest read goes first. */
export const MAX_PROFILES_KEPT = 1_000;
