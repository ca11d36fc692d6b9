// Instruments authlane's createAuthClient for the token scan: every client a test creates hands
// the scan its lifecycle actions and the rejections of its methods, so no suite can leak a token
// unseen. Only observation is added; the client itself is the package's, unchanged.
// - Node: token-scan.mjs registers this file's `load` hook for the installed package's ESM builds
//   (inline/, which Node resolves, and esm/, which a test may import by path).
// - Chromium: static.mjs serves client.js through `instrument(source, 'page')`, and browser.mjs
//   exposes `__authlaneTokenScan` to every page (workers have none and are not scanned this way).
import { describe } from './describe.mjs';

const CLIENT = /\/node_modules\/authlane\/(esm|inline)\/client\.js$/;
const DECLARATION = 'export async function createAuthClient(options) {';

/** How the wrapper reports: straight to the scan in Node; in a page, as the scan's own text of
 *  the value (describe.mjs, shipped along) through the page binding. */
const REPORT = {
  node: `const report = (where, value) => globalThis[Symbol.for('authlane.tests.tokenScan')].saw(where, value);`,
  page: `const describe = ${describe.toString()};
  const report = (where, value) => globalThis.__authlaneTokenScan?.(where, describe(value));`,
};

/** client.js's source with createAuthClient wrapped; throws if the package changed shape (a
 *  scan that silently stopped scanning is worse than none). */
export function instrument(source, flavour) {
  if (!source.includes(DECLARATION)) throw new Error('token-scan: authlane\'s client.js no longer declares createAuthClient as expected');
  return source.replace(DECLARATION, 'async function createAuthClientUnscanned(options) {') + `
export async function createAuthClient(options) {
  ${REPORT[flavour]}
  let client;
  try {
    client = await createAuthClientUnscanned(options);
  } catch (error) {
    report('createAuthClient rejection', error);
    throw error;
  }
  client.subscribe((action) => report('lifecycle action', action));
  for (const name of ['fetch', 'login', 'logout', 'getAccessToken', 'refresh']) {
    const method = client[name];
    client[name] = (...args) => method(...args).catch((error) => {
      report('rejection of client.' + name, error);
      throw error;
    });
  }
  return client;
}
`;
}

export async function load(url, context, nextLoad) {
  const loaded = await nextLoad(url, context);
  if (!CLIENT.test(new URL(url).pathname)) return loaded;
  return { ...loaded, source: instrument(String(loaded.source), 'node') };
}
