// The simulations of the built package (its JS shell and wasm, as npm installs it under
// tests/node_modules/authlane) in a seeded world under Node: `main` (one client: requests,
// refresh outcomes, clocks, logins and logouts) and `tabs` (two or three tabs sharing
// localStorage, Web Locks and a BroadcastChannel). See main.mjs and tabs.mjs for what each runs
// and checks, and scheduler.mjs, network.mjs, server.mjs, storage.mjs, locks.mjs and channel.mjs
// for what the world models and what it does not.
//
//   node tests/sim/run.mjs [--seeds N] [--seed S] [--only main|tabs] [--from S] [--trace] [--survey] [--stats]
//
// Seeds S..S+N-1 of each simulation (default 0..1999), or only seed S (which prints its event
// trace when it fails; --trace prints it anyway). The run stops at the first failing seed,
// printing the invariants it broke and a one-line replay command, and exits 1. --survey (for
// triage) goes on, and prints each failing seed's first broken invariant; --stats prints what the
// seeds exercised (sends, refresh plans, sessions ended and why, ...).
import { install, realElapsed } from './scheduler.mjs';

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const seeds = Number(flag('--seeds') ?? 2_000);
const only = flag('--only');
const single = flag('--seed');
const from = Number(flag('--from') ?? 0);
const traceAlways = args.includes('--trace');
const survey = args.includes('--survey');
const showStats = args.includes('--stats');
if (only !== undefined && only !== 'main' && only !== 'tabs') {
  console.error('--only takes main or tabs');
  process.exit(2);
}

install(); // before the package is imported: its timers and clock are the world's
const sims = [];
if (only !== 'tabs') sims.push(['main', (await import('./main.mjs')).simulateMain]);
if (only !== 'main') sims.push(['tabs', (await import('./tabs.mjs')).simulateTabs]);

let current = null;
process.on('unhandledRejection', (error) => {
  const text = `an unhandled rejection: ${error && error.stack ? error.stack.split('\n').slice(0, 3).join(' / ') : String(error)}`;
  if (current) current.push(text);
  else {
    console.error(text);
    process.exitCode = 1;
  }
});

async function one(simulate, seed, trace) {
  current = [];
  const result = await simulate(seed, { trace });
  const late = current;
  current = null;
  await new Promise((resolve) => setImmediate(resolve));
  result.violations.push(...late);
  return result;
}

const started = realElapsed();
for (const [name, simulate] of sims) {
  const list = single !== undefined ? [Number(single)] : Array.from({ length: seeds }, (_, i) => from + i);
  const t0 = realElapsed();
  const totals = {};
  let failed = 0;
  for (const seed of list) {
    const result = await one(simulate, seed, traceAlways || single !== undefined);
    for (const [k, v] of Object.entries(result.stats || {})) totals[k] = (totals[k] || 0) + v;
    if (traceAlways || (single !== undefined && result.violations.length > 0)) {
      console.log(`--- ${name} seed ${seed}: event trace (tokens by alias: A<pair> access, R<pair> refresh)`);
      for (const line of result.trace) console.log(line);
    }
    if (result.violations.length > 0 && survey) {
      failed++;
      console.log(`${name} ${seed}: ${result.violations[0]}`);
      continue;
    }
    if (result.violations.length > 0) {
      console.log(`\n${name} seed ${seed} broke ${result.violations.length} invariant(s):`);
      for (const v of result.violations.slice(0, 20)) console.log(`  ${v}`);
      console.log(`replay: node tests/sim/run.mjs --only ${name} --seed ${seed}`);
      process.exit(1);
    }
  }
  const ms = realElapsed() - t0;
  if (failed > 0) {
    console.log(`${name}: ${failed} of ${list.length} seeds broke invariants (${(ms / 1000).toFixed(1)} s)`);
    process.exitCode = 1;
  } else {
    console.log(`${name}: ${list.length} seeds kept every invariant in ${(ms / 1000).toFixed(1)} s (${(list.length / (ms / 1000)).toFixed(0)} seeds/s)`);
  }
  if (showStats) {
    const keys = Object.keys(totals).sort();
    console.log(`  exercised (totals over ${list.length} seeds): ${keys.map((k) => `${k} ${totals[k]}`).join(', ')}`);
  }
}
console.log(`simulations: done in ${((realElapsed() - started) / 1000).toFixed(1)} s`);
