// A user's typed app: checked with tsc --noEmit by tests/js/types.test.mjs.
import { createAuthClient, decodeJwt, isAuthlaneError, webStorage, ACTION, type AuthAction, type AuthClient } from 'authlane';
import { apiCall, authMiddleware, authReducer, selectAuth, selectClaims, selectIsAuthenticated, type AuthState } from 'authlane/redux';
import { configureStore } from '@reduxjs/toolkit';
import { fetchBaseQuery } from '@reduxjs/toolkit/query';

export async function app(storage: Storage): Promise<void> {
  const client: AuthClient = await createAuthClient({
    baseUrl: 'https://api.example.com',
    refresh: { url: '/auth/refresh' },
    storage: webStorage(storage),
    refreshOn: [401, 403],
    refreshRetry: { attempts: 2 },
  });
  const store = configureStore({
    reducer: { auth: authReducer },
    middleware: (getDefault) => getDefault().concat(authMiddleware(client)),
  });
  const state: AuthState = selectAuth(store.getState());
  const authenticated: boolean = selectIsAuthenticated(store.getState()) && state.authenticated;
  const sub = selectClaims(store.getState())?.sub;

  const unsubscribe = client.subscribe((action: AuthAction) => {
    if (action.type === ACTION.refreshFailed) {
      const transient: boolean = action.payload.transient; // narrowed by the discriminated union
      void transient;
    }
  });
  unsubscribe();

  const res: Response = await client.fetch('/me', { auth: true, method: 'GET' });
  const claims = decodeJwt<{ sub: string; exp: number }>('x.y.z');
  const exp: number = claims.exp;
  try {
    await client.refresh();
  } catch (e) {
    if (isAuthlaneError(e) && e.code === 'SESSION_EXPIRED') await client.logout();
  }
  const baseQuery = fetchBaseQuery({ baseUrl: 'https://api.example.com', fetchFn: client.fetch });
  void [authenticated, sub, res, exp, baseQuery, apiCall({ url: '/x', types: ['a', 'b', 'c'] })];
}
