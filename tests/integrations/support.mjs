// Helpers for the integration tests: the packed tarball unpacked into an app folder, waiting for
// what a user would see, and a jsdom page as React's usual test setups install it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The tarball scripts/install-pkg.sh packed (build/authlane-*.tgz). */
export function tarball() {
  const file = readdirSync(join(root, 'build')).find((f) => /^authlane-.*\.tgz$/.test(f));
  if (!file) throw new Error('no build/authlane-*.tgz: run scripts/install-pkg.sh');
  return join(root, 'build', file);
}

/** Unpacks the tarball as `<folder>/node_modules/authlane`, which is all `npm install` does with it. */
export function unpackInto(folder) {
  const target = join(folder, 'node_modules', 'authlane');
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball(), '-C', target, '--strip-components=1']);
  return target;
}

/** Resolves once `check()` is truthy (polled every 5 ms); rejects with `what` after `ms`. */
export async function waitFor(what, check, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A jsdom page installed as React's usual test setups do (global-jsdom): every page global Node
 *  lacks (window, self, document, location, navigator) is the page's. Returns the JSDOM. */
export function installPage() {
  const dom = new JSDOM('<!doctype html><body></body>', { url: 'http://localhost/' });
  for (const key of ['window', 'self', 'document', 'location', 'navigator']) {
    if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value: dom.window[key], configurable: true, writable: true });
  }
  return dom;
}
