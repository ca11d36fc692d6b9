// Where the Chromium cold start goes (`node benches/cold-phases.mjs [loads]` runs it alone): the
// Vite-built page that imports only createAuthClient, opened in a new page each load, with
// performance marks put into a copy of the packed package around the wasm's instantiation and
// the first core made (`engine.create`). Prints the median of each instant (ms from navigation start), and
// the whole of a second createAuthClient on the same page (the first's extra is compilation).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { launch } from '../tests/support/browser.mjs';
import { serveDir } from '../tests/support/serve-dir.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const vite = join(root, 'tests/bundlers/node_modules/vite/bin/vite.js');
const run = promisify(execFile);

/** Replaces `from` in the file, which must hold it: a mark that silently went missing would
 * leave a phase unmeasured. */
function patch(file, from, to) {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`cold-phases: ${file} no longer contains ${from}`);
  writeFileSync(file, text.replace(from, to));
}

export async function coldPhases({ loads = 30 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'authlane-cold-'));
  const pkg = join(dir, 'node_modules/authlane');
  mkdirSync(pkg, { recursive: true });
  await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: join(root, 'pkg') });
  const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz')));
  await run('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
  patch(join(pkg, 'esm/wasm.js'), 'const response = await fetchWasm(', "performance.mark('instantiating');\nconst response = await fetchWasm(");
  patch(join(pkg, 'esm/wasm.js'), 'export const core = bind(instance.exports);', "export const core = bind(instance.exports);\nperformance.mark('instantiated');");
  patch(
    join(pkg, 'esm/client.js'),
    '  const made = engine.create(record, Math.floor(Math.random() * 2 ** 52));',
    "  const first = performance.getEntriesByName('constructing').length === 0;\n  if (first) performance.mark('constructing');\n  const made = engine.create(record, Math.floor(Math.random() * 2 ** 52));\n  if (first) performance.mark('constructed');",
  );
  writeFileSync(
    join(dir, 'main.js'),
    `import { createAuthClient } from 'authlane';
  const options = { baseUrl: location.origin, refresh: { url: '/refresh' } };
  window.cold = createAuthClient(options).then(async (client) => {
    const ready = performance.now();
    client.dispose();
    const t0 = performance.now();
    (await createAuthClient(options)).dispose();
    return { ready, second: performance.now() - t0 };
  });
  `,
  );
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>app</title><script type="module" src="./main.js"></script>\n');
  writeFileSync(join(dir, 'package.json'), '{ "name": "app", "private": true, "type": "module" }\n');
  await run(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: dir, env: { ...process.env, NODE_ENV: 'production' } });

  const site = await serveDir(join(dir, 'dist'));
  const browser = await launch();
  const rows = [];
  try {
    for (let i = 0; i < loads; i++) {
      const page = await browser.newPage();
      await page.goto(`${site.url}/`);
      await page.waitForFunction(() => window.cold, null, { timeout: 20000 });
      rows.push(
        await page.evaluate(async () => {
          const { ready, second } = await window.cold;
          const resource = (ext) => performance.getEntriesByType('resource').find((e) => e.name.endsWith(ext));
          const mark = (name) => performance.getEntriesByName(name)[0].startTime;
          return {
            'bundle received': resource('.js').responseEnd,
            'instantiation started (the glue asks for the wasm)': mark('instantiating'),
            'wasm requested': resource('.wasm').startTime,
            'wasm received': resource('.wasm').responseEnd,
            'instantiated (compiled while it streamed in)': mark('instantiated'),
            'first client created: started': mark('constructing'),
            'first client created: returned': mark('constructed'),
            'client ready': ready,
            'a second createAuthClient on the page (its duration)': second,
          };
        }),
      );
      await page.context().close();
    }
  } finally {
    await browser.close();
    await site.close();
    rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const lines = [`| ${loads} loads, median | ms from navigation start |`, '| --- | ---: |'];
for (const name of Object.keys(rows[0])) lines.push(`| ${name} | ${median(rows.map((r) => r[name])).toFixed(1)} |`);
return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(await coldPhases({ loads: Number(process.argv[2] || 30) }));
}
