// Must NOT compile: proves the types are checked, not `any`.
import { createAuthClient } from 'authlane';
export const bad = createAuthClient({ baseUrl: 'https://x', refresh: 42 });
