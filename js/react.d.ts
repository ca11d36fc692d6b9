// Types for `authlane/react`. Self-contained: no @types/react needed to use them.
import type { AuthClient, Session } from './index.js';

/** `client.session()` plus whether a refresh is in flight. */
export interface SessionState extends Session {
  refreshing: boolean;
}

/**
 * The client's session as React state (React 18 and 19, `useSyncExternalStore`): re-renders when a
 * lifecycle action changes it, the same object while nothing changed. A `null` or `undefined`
 * client reads as logged out.
 * @example const { authenticated, claims, refreshing } = useSession(client);
 */
export function useSession(client: Pick<AuthClient, 'session' | 'subscribe'> | null | undefined): Readonly<SessionState>;
