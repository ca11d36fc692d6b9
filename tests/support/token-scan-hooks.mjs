// Module hooks for the token scan (registered by token-scan.mjs): every client any Node test
// creates through the installed package's ESM build, directly or through a helper, hands the scan
// its lifecycle actions and the rejections of its methods, so no suite can leak a token unseen.
// Only observation is added: the client itself is the package's, unchanged.
const CLIENT = /\/node_modules\/authlane\/esm\/client\.js$/;
const DECLARATION = 'export async function createAuthClient(options) {';

const WRAPPER = `
export async function createAuthClient(options) {
  const scan = globalThis[Symbol.for('authlane.tests.tokenScan')];
  let client;
  try {
    client = await createAuthClientUnscanned(options);
  } catch (error) {
    scan.saw('createAuthClient rejection', error);
    throw error;
  }
  client.subscribe((action) => scan.saw('lifecycle action', action));
  for (const name of ['fetch', 'login', 'logout', 'getAccessToken', 'refresh']) {
    const method = client[name];
    client[name] = (...args) => method(...args).catch((error) => {
      scan.saw('rejection of client.' + name, error);
      throw error;
    });
  }
  return client;
}
`;

export async function load(url, context, nextLoad) {
  const loaded = await nextLoad(url, context);
  if (!CLIENT.test(new URL(url).pathname)) return loaded;
  const source = String(loaded.source);
  // Fail loudly if the package changed shape: a scan that silently stopped scanning is worse
  // than none.
  if (!source.includes(DECLARATION)) throw new Error(`token-scan: ${url} no longer declares createAuthClient as expected`);
  return { ...loaded, source: source.replace(DECLARATION, 'async function createAuthClientUnscanned(options) {') + WRAPPER };
}
