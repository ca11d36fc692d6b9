// The `authlane/react-native` entry point: the API of `authlane`, with one difference. React
// Native's fetch follows redirects itself whatever `redirect` says, so authlane cannot keep a
// custom auth header from following a redirect to another origin (fetch drops only
// `Authorization` there). In development (`__DEV__`), a client created with a custom header name
// says so once.
import { createAuthClient as create } from './index.js';

export * from './index.js';

export function createAuthClient(options) {
  const name = options != null && options.header != null ? options.header.name : undefined;
  if (typeof __DEV__ !== 'undefined' && __DEV__ && typeof name === 'string' && name.toLowerCase() !== 'authorization') {
    console.warn(`authlane: React Native's fetch follows redirects on its own, so the ${name} header can follow a redirect to another origin; keep the default Authorization header, which fetch drops there`);
  }
  return create(options);
}
