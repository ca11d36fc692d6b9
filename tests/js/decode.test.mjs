// decodeJwt from the installed package, against jwt-decode's own cases and a corpus compared
// with jwt-decode itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jwtDecode } from 'jwt-decode';
import { decodeJwt, isAuthlaneError } from 'authlane';

const token =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJmb28iOiJiYXIiLCJleHAiOjEzOTMyODY4OTMsImlhdCI6MTM5MzI2ODg5M30.4-iaDojEVl0pJQMjrbM1EzUIfAZgsbK_kgnVyVxFSVo';

function throwsInvalid(fn, message) {
  let error;
  try { fn(); } catch (e) { error = e; }
  assert.ok(isAuthlaneError(error), 'throws an AuthlaneError');
  assert.equal(error.code, 'INVALID_TOKEN');
  assert.match(error.message, message);
}

test('default and custom claims, and the header', () => {
  const payload = decodeJwt(token);
  assert.equal(payload.exp, 1393286893);
  assert.equal(payload.iat, 1393268893);
  assert.equal(payload.foo, 'bar');
  assert.deepEqual(decodeJwt(token, { header: true }), { typ: 'JWT', alg: 'HS256' });
});

test('UTF-8, Latin-1 ("binary"), double and single padding tokens', () => {
  const cases = [
    ['eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJuYW1lIjoiSm9zw6kiLCJpYXQiOjE0MjU2NDQ5NjZ9.1CfFtdGUPs6q8kT3OGQSVlhEMdbuX0HfNSqum0023a0', 'José'],
    ['eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJuYW1lIjoiSm9z6SIsImlhdCI6MTQyNTY0NDk2Nn0.cpnplCBxiw7Xqz5thkqs4Mo_dymvztnI0CI4BN0d1t8', 'José'],
    ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ikpvc8OpIiwiaWF0IjoxNTE2MjM5MDIyfQ.7A3F5SUH2gbBSYVon5mas_Y-KCrWojorKQg7UKGVEIA', 'José'],
    ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ikpvc8OpZSIsImlhdCI6MTUxNjIzOTAyMn0.tbjJzDAylkKSV0_YGR5xBJBlFK01C82nZPLIcA3JX1g', 'Josée'],
  ];
  for (const [t, name] of cases) assert.equal(decodeJwt(t).name, name);
});

test('every malformed case throws INVALID_TOKEN naming the part', () => {
  throwsInvalid(() => decodeJwt(null), /^Invalid token specified: must be a string$/);
  throwsInvalid(() => decodeJwt(null, { header: true }), /must be a string/);
  throwsInvalid(() => decodeJwt('fubar'), /missing part #2/);
  throwsInvalid(() => decodeJwt('.FAKE_TOKEN', { header: true }), /invalid json for part #1/);
  throwsInvalid(() => decodeJwt('TOKEN', { header: true }), /invalid base64 for part #1/);
  throwsInvalid(() => decodeJwt('FAKE.TOKEN', { header: true }), /invalid json for part #1/);
  throwsInvalid(() => decodeJwt('FAKE_TOKEN'), /^Invalid token specified: missing part #2$/);
  throwsInvalid(() => decodeJwt('FAKE.TOKEN'), /invalid base64 for part #2/);
  throwsInvalid(() => decodeJwt('FAKE.TOKEN2'), /invalid json for part #2/);
  throwsInvalid(() => decodeJwt({ toString: () => token }), /must be a string/);
});

test('messages never quote token content', () => {
  const secret = Buffer.from('{"sub":"secret-subject"').toString('base64url');
  try { decodeJwt(`x.${secret}.y`); assert.fail('should throw'); } catch (e) {
    assert.equal(e.message, 'Invalid token specified: invalid json for part #2');
  }
});

// A seeded corpus: valid tokens with varied claims and encodings, and mutations of them.
function* corpus() {
  let seed = 42;
  const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  const texts = ['a', 'José', '日本語', '😀 emoji', 'line\nbreak', '"quoted"', '\u0000nul', ''];
  const b64 = (s, style) => {
    const raw = Buffer.from(s).toString('base64');
    if (style === 0) return raw.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    if (style === 1) return raw.replace(/\+/g, '-').replace(/\//g, '_');
    return raw;
  };
  for (let i = 0; i < 400; i++) {
    const payload = { sub: String(i), name: texts[rand(texts.length)].repeat(rand(5) + 1), n: rand(1e6), arr: [rand(9), null, true] };
    const header = { alg: 'HS256', typ: 'JWT', kid: texts[rand(texts.length)] };
    const t = `${b64(JSON.stringify(header), rand(3))}.${b64(JSON.stringify(payload), rand(3))}.sig`;
    yield t;
    const chars = [...t];
    for (let m = 0; m < 3; m++) {
      const at = rand(chars.length);
      const kind = rand(4);
      if (kind === 0) chars.splice(at, 1);
      else if (kind === 1) chars.splice(at, 0, '=-_+/. é\u0000'[rand(11)]);
      else if (kind === 2) chars[at] = 'A';
      else chars.length = at;
      yield chars.join('');
    }
  }
  yield* ['', '.', '..', 'a.b', 'e30.e30', 'e30=.e30=.', ' e30 . e30 ', 'e30.MTIz', 'e30.WzEsMl0', 'e30.bnVsbA'];
}

function outcome(fn) {
  try { return { value: fn() }; } catch (e) { return { error: e.message.replace(/ \(.*$/s, '') }; }
}

test('agrees with jwt-decode on a corpus of valid and mutated tokens', () => {
  let compared = 0, valid = 0;
  for (const t of corpus()) {
    for (const header of [false, true]) {
      const ours = outcome(() => decodeJwt(t, { header }));
      const theirs = outcome(() => jwtDecode(t, { header }));
      assert.deepEqual(ours, theirs, `token ${JSON.stringify(t)} header=${header}`);
      compared++;
      if ('value' in ours) valid++;
    }
  }
  assert.ok(compared > 3000 && valid > 800, `compared ${compared}, valid ${valid}`);
});
