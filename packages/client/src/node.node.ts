/** Node-only parts of the SDK: the encrypted SQLite backend. */
export {
  SQLITE_CLIENT_MIGRATIONS,
  openSqliteBackend,
  type SqliteBackendOptions,
  type StoreSecret,
} from './sqlite-backend.node.js';
export { nodeSocketFactory } from './live.node.js';
