// A typed app using authlane/react and isSessionError: checked with tsc --noEmit by types.test.mjs.
// No @types/react is installed: the entry's types stand alone.
import { createAuthClient, isSessionError, type AuthClient } from 'authlane';
import { useSession, type SessionState } from 'authlane/react';

export function Account(client: AuthClient | null): string {
  const session: Readonly<SessionState> = useSession(client);
  const refreshing: boolean = session.refreshing;
  const expiresAt: number | null = session.expiresAt;
  return session.authenticated ? `${String(session.claims?.sub)} ${refreshing} ${expiresAt}` : 'anonymous';
}

export async function retryable(failureCount: number, error: unknown): Promise<boolean> {
  const client = await createAuthClient({ baseUrl: 'https://api.example.com', refresh: { url: '/auth/refresh' } });
  useSession(client);
  return !isSessionError(error) && failureCount < 3;
}
