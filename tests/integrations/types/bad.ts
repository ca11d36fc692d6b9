// Must not compile: useSession wants a client, and its result is read-only.
import { useSession } from 'authlane/react';

const session = useSession({ fetch: globalThis.fetch });
session.refreshing = true;
