export { loadConfig, type ConfigOverrides, type Env, type LoadConfigOptions } from './config/load-config.js';
export { DEFAULTS, OPTIONS, SIGNING_ALGORITHMS, type ServerConfig, type SigningAlgorithm, type OptionInfo } from './config/defaults.js';
export * from './errors.js';
export type * from './store/types.js';
export { normalizeEmail } from './store/types.js';
export { openSqliteStore, SQLITE_FILE_NAME } from './store/sqlite/index.js';
export { openPostgresStore, migratePostgres, type PostgresStoreOptions, type PostgresOptions, type MigrationReport } from './store/postgres/index.js';
export { openStore, describeStore } from './store/open-store.js';
export type { RateLimitStore, RateLimitResult } from './store/rate-limit.js';
export type { RedisConnectionOptions } from './store/redis/client.js';
export {
  openRedisRevocationPublisher,
  openRedisRevocationSubscriber,
  parseRevocationMessage,
  type RevocationMessage,
  type RevocationPublisher,
  type RevocationSubscriber,
  type RevocationHandlers,
  type TransportStatus,
} from './revocation/redis-transport.js';
export { buildApp, type AppDeps } from './app.js';
export type { RevocationBroadcaster, PublishedRevocation } from './revocation/hub.js';
export { redisRevocationTransport } from './revocation/redis-follower.js';
export { KeyManager, type PublicJwk, type KeySummary, type SigningKey } from './keys/key-manager.js';
export { plaintextProtector, protectorFor, type KeyProtector } from './keys/protector.js';
export { aesGcmProtector, AES_GCM_PROTECTION } from './keys/aes-gcm-protector.js';
export { argon2idHasher, type PasswordHasher } from './auth/passwords.js';
export { defaultHashLimits, limitHashing, type HashLimits } from './auth/hash-limiter.js';
export { ACCESS_COOKIE, REFRESH_COOKIE, CSRF_HEADER } from './http/cookies.js';
export { WEB_CLIENT_ID, NATIVE_CLIENT_ID, type AccessTokenClaims } from './tokens/access-token.js';
export { registerClient, rotateClientSecret, type ClientDefinition, type ClientWithSecret } from './oauth/client-registry.js';
