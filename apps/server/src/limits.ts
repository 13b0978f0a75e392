/** Bounds of the server entry point, with their reasons. */

/**
 * Most files read from the web client's build directory: the build has about ten; a directory
 * holding far more is not a build, and every file is kept in memory.
 */
export const MAX_WEB_FILES = 200;
/** Most bytes read from it in total (the build is about 1.5 MB, most of it SQLite's WASM). */
export const MAX_WEB_BYTES = 32 * 1024 * 1024;

/**
 * How long a sender certificate is valid. Short, so a certificate of a removed device or a
 * changed identity key stops working soon; long enough that a client fetches one a day, not
 * per message (a fetch is authenticated and so links the device to the time of the fetch).
 */
export const SENDER_CERTIFICATE_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** The sealed sender key file's size bound (it holds two 32-byte keys in JSON, ~150 bytes). */
export const MAX_SEALED_SENDER_KEY_FILE_BYTES = 4096;
