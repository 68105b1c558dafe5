export { loadConfig, type ConfigOverrides, type Env, type LoadConfigOptions } from './config/load-config.js';
export { DEFAULTS, OPTIONS, SIGNING_ALGORITHMS, type ServerConfig, type SigningAlgorithm, type OptionInfo } from './config/defaults.js';
export * from './errors.js';
export type * from './store/types.js';
export { normalizeEmail } from './store/types.js';
export { openSqliteStore, SQLITE_FILE_NAME } from './store/sqlite/index.js';
