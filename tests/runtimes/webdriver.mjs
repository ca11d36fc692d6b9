// A W3C WebDriver client, just what runtimes.test.mjs needs (new session, navigate, run an async
// script, delete the session), over Node's fetch; and a driver process (geckodriver,
// WebKitWebDriver) started on a free port of 127.0.0.1.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const freePort = () => new Promise((resolve, reject) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
  server.on('error', reject);
});

/**
 * Starts `command` with `args(port)` and waits until its /status says ready.
 * @returns {Promise<{ url: string, output: () => string, stop: () => Promise<void> }>}
 */
export async function startDriver(command, args, env = {}) {
  const port = await freePort();
  const child = spawn(command, args(port), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let failed = null;
  child.on('error', (e) => { failed = e; }); // not installed: ENOENT
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const driver = {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  for (let waited = 0; ; waited += 100) {
    if (failed) throw new Error(`${command} did not start (${failed.message}): run scripts/setup.sh`);
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}: ${output}`);
    try {
      const status = await (await fetch(url + '/status')).json();
      if (status.value && status.value.ready) return driver;
    } catch {}
    if (waited > 15000) {
      await driver.stop();
      throw new Error(`${command} was not ready within 15 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function call(url, method, path, body) {
  const response = await fetch(url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok || (json.value && json.value.error)) {
    const v = json.value || {};
    throw new Error(`WebDriver ${method} ${path}: ${v.error || response.status}: ${v.message || ''}`);
  }
  return json.value;
}

/** A browser session on `driver`; `delete()` closes the browser. */
export async function newSession(driver, capabilities) {
  const created = await call(driver.url, 'POST', '/session', { capabilities: { alwaysMatch: capabilities } });
  const base = `/session/${created.sessionId}`;
  return {
    browser: `${created.capabilities.browserName} ${created.capabilities.browserVersion}`,
    setScriptTimeout: (ms) => call(driver.url, 'POST', base + '/timeouts', { script: ms }),
    navigate: (url) => call(driver.url, 'POST', base + '/url', { url }),
    /** Runs `script` (a function body; its last argument is the callback) and returns its value. */
    executeAsync: (script, args = []) => call(driver.url, 'POST', base + '/execute/async', { script, args }),
    delete: () => call(driver.url, 'DELETE', base).catch(() => {}),
  };
}
