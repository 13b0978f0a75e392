/** Bounds of the server entry point, with their reasons. */

/**
 * Most files read from the web client's build directory: the build has about ten; a directory
 * holding far more is not a build, and every file is kept in memory.
 */
export const MAX_WEB_FILES = 200;
/** Most bytes read from it in total (the build is about 1.5 MB, most of it SQLite's WASM). */
export const MAX_WEB_BYTES = 32 * 1024 * 1024;
