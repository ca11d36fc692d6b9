// Types for `authlane` (and `authlane/react-native`, which has the same exports).

export type ErrorCode =
  | 'INVALID_CONFIG'
  | 'INVALID_TOKEN'
  | 'SIGNATURE_INVALID'
  | 'SESSION_EXPIRED'
  | 'REFRESH_FAILED'
  | 'BAD_REFRESH_RESPONSE'
  | 'LOGGED_OUT'
  | 'TIMEOUT'
  | 'NETWORK_ERROR'
  | 'STORAGE_ERROR'
  | 'BODY_NOT_REPLAYABLE';

export type SignatureFailure = 'signature' | 'algorithm' | 'expired' | 'notBefore' | 'issuer' | 'audience' | 'key';

export interface AuthlaneError extends Error {
  name: 'AuthlaneError';
  code: ErrorCode;
  cause?: unknown;
  /** With SIGNATURE_INVALID: which check failed. */
  reason?: SignatureFailure;
}
export const AuthlaneError: {
  new (code: ErrorCode, message: string, options?: { cause?: unknown; reason?: SignatureFailure }): AuthlaneError;
  readonly prototype: AuthlaneError;
};
export function isAuthlaneError(error: unknown): error is AuthlaneError;
/**
 * True for an ended session (SESSION_EXPIRED or LOGGED_OUT), also wrapped as the `cause` of another
 * error (axios's); for TanStack Query's `retry: (n, e) => !isSessionError(e) && n < 3`.
 */
export function isSessionError(error: unknown): boolean;

export type MaybePromise<T> = T | Promise<T>;

export interface TokenStorage {
  getItem(key: string): MaybePromise<string | null | undefined>;
  setItem(key: string, value: string): MaybePromise<unknown>;
  removeItem(key: string): MaybePromise<unknown>;
}

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** Seconds, for tokens that are not JWTs. */
  expiresIn?: number;
}

export interface RefreshEndpoint {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: (refreshToken: string) => object;
  parse?: (json: any) => TokenSet;
}
export type RefreshFunction = (args: { refreshToken: string; signal: AbortSignal }) => Promise<TokenSet | null>;

export type Claims = Record<string, unknown>;

export interface AuthClientOptions {
  baseUrl?: string;
  allowedOrigins?: string[];
  refresh: RefreshEndpoint | RefreshFunction;
  storage?: TokenStorage | { access: TokenStorage; refresh: TokenStorage };
  storageKey?: string;
  refreshOn?: number[] | ((response: Response) => boolean | Promise<boolean>);
  leewaySeconds?: number;
  timeoutMs?: number;
  refreshTimeoutMs?: number;
  refreshRetry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  header?: { name?: string; scheme?: string };
  fetch?: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  dispatch?: (action: AuthAction) => void;
  crossTab?: boolean;
  now?: () => number;
}

export interface Session {
  authenticated: boolean;
  claims: Claims | null;
  expiresAt: number | null;
}

export interface AuthRequestInit extends RequestInit {
  /** `false` sends the request untouched. */
  auth?: boolean;
}

export interface AuthClient {
  fetch(input: RequestInfo | URL, init?: AuthRequestInit): Promise<Response>;
  login(tokens: TokenSet): Promise<void>;
  logout(): Promise<void>;
  getAccessToken(): Promise<string | null>;
  refresh(): Promise<Session>;
  session(): Session;
  subscribe(listener: (action: AuthAction) => void): () => void;
  startAutoRefresh(): void;
  stopAutoRefresh(): void;
  dispose(): void;
}

export function createAuthClient(options: AuthClientOptions): Promise<AuthClient>;

export type RefreshReason = 'expiring' | 'rejected' | 'manual' | 'timer';

export type AuthAction =
  | { type: 'authlane/restored'; payload: Session }
  | { type: 'authlane/loggedIn'; payload: { claims: Claims | null; expiresAt: number | null } }
  | { type: 'authlane/refreshStarted'; payload: { reason: RefreshReason } }
  | { type: 'authlane/refreshSucceeded'; payload: { claims: Claims | null; expiresAt: number | null; rotated: boolean } }
  | { type: 'authlane/refreshFailed'; payload: { code: ErrorCode; message: string; transient: boolean } }
  | { type: 'authlane/sessionExpired'; payload: { code: 'SESSION_EXPIRED' } }
  | { type: 'authlane/loggedOut'; payload: Record<string, never> };

type ActionTypes = {
  readonly restored: 'authlane/restored'; readonly RESTORED: 'authlane/restored';
  readonly loggedIn: 'authlane/loggedIn'; readonly LOGGED_IN: 'authlane/loggedIn';
  readonly refreshStarted: 'authlane/refreshStarted'; readonly REFRESH_STARTED: 'authlane/refreshStarted';
  readonly refreshSucceeded: 'authlane/refreshSucceeded'; readonly REFRESH_SUCCEEDED: 'authlane/refreshSucceeded';
  readonly refreshFailed: 'authlane/refreshFailed'; readonly REFRESH_FAILED: 'authlane/refreshFailed';
  readonly sessionExpired: 'authlane/sessionExpired'; readonly SESSION_EXPIRED: 'authlane/sessionExpired';
  readonly loggedOut: 'authlane/loggedOut'; readonly LOGGED_OUT: 'authlane/loggedOut';
};
export const ACTION: ActionTypes;

export function memoryStorage(): TokenStorage;
export function webStorage(storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>): TokenStorage;
export function keychainStorage(
  keychain: {
    getGenericPassword(options?: { service?: string }): Promise<false | { username: string; password: string }>;
    setGenericPassword(username: string, password: string, options?: { service?: string }): Promise<unknown>;
    resetGenericPassword(options?: { service?: string }): Promise<unknown>;
  },
  options?: { service?: string },
): TokenStorage;
export function secureStoreStorage(secureStore: {
  getItemAsync(key: string): Promise<string | null>;
  setItemAsync(key: string, value: string): Promise<void>;
  deleteItemAsync(key: string): Promise<void>;
}): TokenStorage;

export function decodeJwt<T = Claims>(token: string, options?: { header?: false }): T;
export function decodeJwt<T = Record<string, unknown>>(token: string, options: { header: true }): T;

export type Jwk = Record<string, unknown> & { kty: string; kid?: string };
export interface VerifyOptions {
  key: string | Uint8Array | Jwk | { keys: Jwk[] };
  algorithms: Array<'HS256' | 'HS384' | 'HS512' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'EdDSA'>;
  issuer?: string | string[];
  audience?: string | string[];
  leewaySeconds?: number;
}
export function verifyJwt<T = Claims>(token: string, options: VerifyOptions): Promise<T>;
