export { createLatchkeyClient, CSRF_HEADER } from './client.js';
export type {
  AuthChange,
  AuthListener,
  LatchkeyClient,
  LatchkeyClientOptions,
  LatchkeyUser,
  LoginResult,
  MeResult,
  SessionInfo,
} from './client.js';
export { LatchkeyClientError, LatchkeyNetworkError } from './errors.js';
export { CSRF_STORAGE_KEY, EXPIRY_STORAGE_KEY, memoryStorage } from './storage.js';
export type { TokenStorage } from './storage.js';
