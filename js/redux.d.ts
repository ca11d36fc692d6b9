// Types for `authlane/redux`.
import type { AuthAction, AuthClient, Claims, ErrorCode } from './index.js';
export { ACTION } from './index.js';

export interface AuthState {
  authenticated: boolean;
  claims: Claims | null;
  expiresAt: number | null;
  refreshing: boolean;
  error: { code: ErrorCode; message: string; transient: boolean } | null;
}

export interface ApiCallAction<R extends string = string, S extends string = string, F extends string = string> {
  type: 'authlane/apiCall';
  payload: ApiCallOptions<R, S, F>;
}
export interface ApiCallOptions<R extends string = string, S extends string = string, F extends string = string> {
  url: string;
  method?: string;
  headers?: HeadersInit;
  /** A plain object or array is sent as JSON; anything else as fetch takes it. */
  body?: unknown;
  types: readonly [R, S, F];
  meta?: Record<string, unknown>;
}
export interface ApiSuccess<S extends string = string, T = unknown> {
  type: S;
  payload: T;
  meta: { url: string; method: string; status: number };
}
export interface ApiFailure<F extends string = string> {
  type: F;
  error: true;
  payload: { status: number; code: ErrorCode | 'HTTP_ERROR' | 'ABORTED' | 'NETWORK_ERROR'; message: string; data?: unknown };
  meta: { url: string; method: string };
}

export function apiCall<R extends string, S extends string, F extends string>(
  options: ApiCallOptions<R, S, F>,
): ApiCallAction<R, S, F>;

/** A Redux middleware; `dispatch(apiCall(...))` returns a Promise of the SUCCESS or FAILURE action. */
export function authMiddleware(client: AuthClient): (api: { dispatch: (action: any) => any; getState: () => any }) => (next: (action: unknown) => unknown) => (action: unknown) => any;

export function authReducer(state: AuthState | undefined, action: AuthAction | { type: string }): AuthState;

export function selectAuth(state: { auth: AuthState }): AuthState;
export function selectIsAuthenticated(state: { auth: AuthState }): boolean;
export function selectClaims(state: { auth: AuthState }): Claims | null;

declare module 'redux' {
  export interface Dispatch {
    <R extends string, S extends string, F extends string>(action: ApiCallAction<R, S, F>): Promise<ApiSuccess<S> | ApiFailure<F>>;
  }
}
