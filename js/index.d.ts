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

/** A token response as a server sends it (RFC 6749 section 5.1), which `login()` takes as it is. */
export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
  token_type?: string;
  [field: string]: unknown;
}

export interface RefreshEndpoint {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: (refreshToken: string) => object;
  parse?: (json: any) => TokenSet;
  /** The refresh token lives in an HttpOnly cookie: the call goes with credentials, no token in its body. */
  cookie?: boolean;
  /** An OAuth 2.0 token endpoint (RFC 6749 section 6). */
  grant?: 'oauth2';
  clientId?: string;
  clientSecret?: string;
  clientAuth?: 'none' | 'client_secret_basic' | 'client_secret_post';
  scope?: string;
  params?: Record<string, string>;
}
export type RefreshFunction = (args: { refreshToken: string; signal: AbortSignal }) => Promise<TokenSet | null>;

export type Claims = Record<string, unknown>;

/** Where `dpop.keyStore` keeps the key pair: a private JWK (React Native: the keychain). */
export interface DpopKeyStore {
  load(): Promise<JsonWebKey | null>;
  save(jwk: JsonWebKey): Promise<void>;
  remove(): Promise<void>;
}

/** Whether the device can reach the network (React Native: wrap @react-native-community/netinfo). */
export interface Connectivity {
  isOnline(): boolean;
  subscribe(listener: (online: boolean) => void): () => void;
}

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
  /** Revoke the refresh token on logout() (RFC 7009). */
  revoke?: { url: string; headers?: Record<string, string> };
  refreshCooldownMs?: number;
  /** Bind the tokens to a key this client holds (DPoP, RFC 9449). */
  dpop?: boolean | { keyStore?: DpopKeyStore };
  connectivity?: Connectivity;
  now?: () => number;
}

export interface Session {
  authenticated: boolean;
  claims: Claims | null;
  expiresAt: number | null;
  /** With `dpop`: the key's RFC 7638 thumbprint. */
  dpop?: { jkt: string };
}

export interface AuthRequestInit extends RequestInit {
  /** `false` sends the request untouched. */
  auth?: boolean;
}

/** What logout() did with `revoke`: `pending` when offline (sent once online). */
export interface LogoutResult {
  revoked: boolean;
  pending?: boolean;
}

export interface AuthClient {
  fetch(input: RequestInfo | URL, init?: AuthRequestInit): Promise<Response>;
  login(tokens: TokenSet | TokenResponse): Promise<void>;
  logout(): Promise<LogoutResult | void>;
  getAccessToken(): Promise<string | null>;
  refresh(): Promise<Session>;
  session(): Session;
  /** With `dpop`: a DPoP header value for the app's own token request (the code exchange). */
  dpopProof(method: string, url: string, options?: { nonce?: string }): Promise<string>;
  subscribe(listener: (action: AuthAction) => void): () => void;
  startAutoRefresh(): void;
  stopAutoRefresh(): void;
  dispose(): void;
}

export function createAuthClient(options: AuthClientOptions): Promise<AuthClient>;

export type RefreshReason = 'expiring' | 'rejected' | 'manual' | 'timer';
export type SessionEndReason = 'refresh_rejected' | 'lost_rotation' | 'no_refresh_token' | 'access_rejected' | 'other_tab';

export type AuthAction =
  | { type: 'authlane/restored'; payload: Session }
  | { type: 'authlane/loggedIn'; payload: { claims: Claims | null; expiresAt: number | null } }
  | { type: 'authlane/refreshStarted'; payload: { reason: RefreshReason } }
  | { type: 'authlane/refreshSucceeded'; payload: { claims: Claims | null; expiresAt: number | null; rotated: boolean } }
  | { type: 'authlane/refreshFailed'; payload: { code: ErrorCode; message: string; transient: boolean; status: number | null; oauthError: string | null } }
  | { type: 'authlane/sessionExpired'; payload: { code: 'SESSION_EXPIRED'; reason: SessionEndReason } }
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
