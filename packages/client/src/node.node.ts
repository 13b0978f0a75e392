/** Node-only parts of the SDK: the encrypted SQLite backend, sockets, attachment I/O. */
export {
  SQLITE_CLIENT_MIGRATIONS,
  openSqliteBackend,
  type SqliteBackendOptions,
  type StoreSecret,
} from './sqlite-backend.node.js';
export { nodeSocketFactory } from './live.node.js';
export { nodeBinaryFetch } from './binary-fetch.node.js';
export { FILE_READ_CHUNK_BYTES, fileChunks } from './file-chunks.node.js';
