/**
 * Bounds on a web manifest. A checker or service worker parses a manifest that a hostile relay
 * may have written, so every count and length it drives is bounded here.
 */

/** Most files one build may list (the build has about ten; the relay serves at most 200). */
export const MAX_MANIFEST_FILES = 200;
/** Longest file path in a manifest, in characters. */
export const MAX_MANIFEST_PATH = 200;
/** Largest single file a manifest may list (SQLite's WASM is under 1 MiB). */
export const MAX_MANIFEST_FILE_BYTES = 16 * 1024 * 1024;
/** Largest manifest text a parser accepts (200 files at ~300 characters each, with room). */
export const MAX_MANIFEST_TEXT = 128 * 1024;
/** Longest version string. */
export const MAX_MANIFEST_VERSION = 64;
