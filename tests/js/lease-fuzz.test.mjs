// The fast path's tests in the JS shell are conservative: every "yes" they give, the core's own
// rules give too (issue 32: "if a cached decision stays in JS for speed, the core gives it as data
// and the JS test is a conservative one whose every yes the core's rule also says: fuzz that
// property"). Seeded random URLs, built from the characters URL parsers treat specially:
// - plainUrl(facts, url): a path the shell resolves itself is resolved to the same URL by the
//   core (url::resolve);
// - leaseCovers(prefixes, url): a URL the shell sends under the lease is one the core allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { core } from '../node_modules/authlane/inline/wasm.js';
import { describe } from '../node_modules/authlane/inline/describe.js';
import { leaseCovers, leasePrefixes, plainUrl } from '../node_modules/authlane/inline/requests.js';

const CASES = 20_000;

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

const PIECES = ['/', '//', '\\', '.', '..', '%2e', '%2E', '%2f', '?', '#', '@', ':', '\t', '\n', ' ', 'a', 'b', 'api', 'v1',
  'é', '%', '~', '!', '$', '&', "'", '(', ')', '*', '+', ',', ';', '=', '-', '_', '[', ']', '|', '^', '`', '{', '}', '"', '<', '>',
  'https:', 'http:', 'HTTPS://', 'https://api.example.com', 'https://API.example.com', 'https://api.example.com:443',
  'https://api.example.com.', 'https://user@api.example.com', 'https://api.example.com@evil.example', 'https://evil.example',
  'https://api.example.com.evil.example', 'http://api.example.com', 'https://other.example:8443', 'javascript:', 'data:'];

function client(options) {
  const record = JSON.stringify({ options: describe(options), env: { documentUrl: undefined, globalFetch: true, webLocks: false } });
  const made = core.create(record, 1);
  assert.ok(made.handle, JSON.stringify(made.error));
  return made;
}

for (const [name, options] of [
  ['baseUrl with a path', { baseUrl: 'https://api.example.com/v1/', refresh: { url: '/auth/refresh' } }],
  ['two allowed origins, one with a port', { baseUrl: 'https://api.example.com', allowedOrigins: ['https://api.example.com', 'https://other.example:8443'], refresh: { url: 'https://api.example.com/refresh' } }],
]) {
  test(`the shell's fast URL tests say yes only where the core does (${name}, ${CASES} seeded URLs)`, () => {
    const { handle, facts } = client(options);
    const prefixes = leasePrefixes(facts);
    const random = rng(42);
    let plain = 0;
    let covered = 0;
    try {
      for (let i = 0; i < CASES; i++) {
        let url = random() < 0.5 ? '/' : '';
        for (let n = Math.floor(random() * 6); n >= 0; n--) url += PIECES[Math.floor(random() * PIECES.length)];
        const fast = plainUrl(facts, url);
        if (fast !== undefined) {
          plain++;
          assert.equal(core.resolve(handle, url), fast, `plainUrl(${JSON.stringify(url)})`);
        }
        for (const candidate of [fast, url]) {
          if (candidate !== undefined && leaseCovers(prefixes, candidate)) {
            covered++;
            assert.ok(core.allows(handle, candidate), `leaseCovers(${JSON.stringify(candidate)}) but the core does not allow it`);
          }
        }
      }
    } finally {
      core.free(handle);
    }
    // The property is only worth something if the fast tests said yes often.
    assert.ok(plain > CASES / 20 && covered > CASES / 20, `yes answers: plainUrl ${plain}, leaseCovers ${covered}`);
  });
}
