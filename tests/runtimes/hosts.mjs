// How runtimes.test files start one run of scenario.js and collect its JSON:
// - runServerSide: a Node, Deno or Bun process on server-entry.mjs, timed until it exits by itself;
// - runJsc: the `jsc` shell on a bundle of jsc-entry.mjs, its fetch bridged to the real servers
//   (the protocol is described in jsc-env.js).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const here = (p) => fileURLToPath(new URL(p, import.meta.url));

/** After printing its result, a process has this long to exit on its own. */
const EXIT_GRACE_MS = 3000;

/**
 * Runs `command args... <control URL>` in tests/runtimes/ and waits for its RESULT line and exit.
 * @returns {Promise<{ result: object, exitCode: number, exitAfterMs: number, output: string }>}
 */
export function runServerSide(command, args, control, { timeoutMs = 30000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args, control], { cwd: here('.'), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let result = null;
    let resultAt = 0;
    let killed = '';
    const kill = (why) => { killed = why; child.kill('SIGKILL'); };
    const overall = setTimeout(() => kill(`no exit within ${timeoutMs} ms`), timeoutMs);
    let grace = null;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('RESULT ')) {
        result = JSON.parse(line.slice('RESULT '.length));
        resultAt = Date.now();
        grace = setTimeout(() => kill(`still running ${EXIT_GRACE_MS} ms after its result: something keeps it alive`), EXIT_GRACE_MS);
      } else output += line + '\n';
    });
    child.stderr.on('data', (d) => { output += d; });
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(overall);
      clearTimeout(grace);
      if (killed) return reject(new Error(`${command}: ${killed}\n${output}`));
      if (!result) return reject(new Error(`${command} exited with ${exitCode} and no result:\n${output}`));
      resolve({ result, exitCode, exitAfterMs: Date.now() - resultAt, output });
    });
  });
}

/** Bundles jsc-entry.mjs (authlane/react-native and authlane/verify, resolved in the installed
 * package with the `react-native` condition, as Metro does) for jsc. */
export async function bundleForJsc(outfile) {
  await build({
    entryPoints: [here('jsc-entry.mjs')],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    outfile,
    logLevel: 'error',
    nodePaths: [here('../node_modules')],
    conditions: ['react-native'],
  });
}

/** JSON with non-ASCII escaped: the pipe to jsc carries ASCII only. */
const ascii = (value) => JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

/**
 * Runs `jsc bundle -- <mode> <control>` and serves its bridge: each `@@fetch` is sent with Node's
 * fetch, `@@abort` aborts it, and each `@@wait <ms>` gets one line back: the next finished
 * response, or `{}` when none finished within <ms>.
 * @param {'wasm' | 'wasm2js'} mode
 */
export function runJsc(bundle, mode, control, { timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('jsc', [bundle, '--', mode, control], { stdio: ['pipe', 'pipe', 'pipe'] });
    const finished = [];
    const inFlight = new Map();
    let waiting = null;
    let output = '';
    let result = null;
    const overall = setTimeout(() => { output += `killed: no exit within ${timeoutMs} ms\n`; child.kill('SIGKILL'); }, timeoutMs);
    const answer = (line) => { if (child.stdin.writable) child.stdin.write(line + '\n'); };
    const deliver = () => {
      if (!waiting || !finished.length) return;
      clearTimeout(waiting);
      waiting = null;
      answer(finished.shift());
    };
    createInterface({ input: child.stdout }).on('line', (line) => {
      const space = line.indexOf(' ');
      const kind = space < 0 ? line : line.slice(0, space);
      const rest = line.slice(space + 1);
      if (kind === '@@fetch') {
        const r = JSON.parse(rest);
        const controller = new AbortController();
        inFlight.set(r.id, controller);
        fetch(r.url, { method: r.method, headers: r.headers, body: r.body ?? undefined, signal: controller.signal })
          .then(async (res) => ({ id: r.id, status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }))
          .catch(() => ({ id: r.id, error: true }))
          .then((done) => {
            inFlight.delete(r.id);
            finished.push(ascii(done));
            deliver();
          });
      } else if (kind === '@@abort') {
        const { id } = JSON.parse(rest);
        inFlight.get(id)?.abort();
      } else if (kind === '@@wait') {
        waiting = setTimeout(() => { waiting = null; answer('{}'); }, Number(rest));
        deliver();
      } else if (kind === 'RESULT') {
        result = JSON.parse(rest);
      } else output += line + '\n';
    });
    child.stderr.on('data', (d) => { output += d; });
    child.stdin.on('error', () => {}); // jsc may exit before reading a last answer
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(overall);
      clearTimeout(waiting);
      for (const controller of inFlight.values()) controller.abort();
      if (!result) return reject(new Error(`jsc (${mode}) exited with ${exitCode} and no result:\n${output}`));
      resolve({ result, exitCode, output });
    });
  });
}
