export { openSqliteStore, SQLITE_FILE_NAME } from './sqlite-store.js';
