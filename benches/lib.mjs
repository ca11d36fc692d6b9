// Shared benchmark helpers: interleaved rounds, statistics, Markdown tables.
import { performance } from 'node:perf_hooks';

export const now = () => performance.now();

export function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1) };
}

/**
 * Runs every contender once per round, the order rotating each round (A B C, B C A, ...), so
 * machine noise hits all alike. `run(name)` returns one measurement.
 */
export async function interleave(names, rounds, run) {
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length];
      samples[name].push(await run(name));
    }
  }
  return samples;
}

const fmt = (v, digits = 1) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(digits));

/** A Markdown table: one row per contender, median/min/max and the ratio to `baseline`. */
export function table(samples, { unit, baseline, lowerIsBetter = true }) {
  const base = stats(samples[baseline]).median;
  const rows = Object.entries(samples).map(([name, values]) => {
    const s = stats(values);
    const ratio = s.median / base;
    return `| ${name} | ${fmt(s.median)} | ${fmt(s.min)} | ${fmt(s.max)} | ${ratio.toFixed(3)} |`;
  });
  return [`| contender | median (${unit}) | min | max | ratio to ${baseline} (${lowerIsBetter ? 'lower is better' : 'higher is better'}) |`, '| --- | ---: | ---: | ---: | ---: |', ...rows].join('\n');
}

/** fetch with only what a per-request timeout that really cancels needs (ky and authlane do
 *  this): an AbortController's signal and a 60 s timer; resolves with the body's text. */
export async function fetchWithTimeoutSignal(url, init) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 60_000);
  try {
    return await (await fetch(url, { ...init, signal: controller.signal })).text();
  } finally {
    clearTimeout(timer);
  }
}
