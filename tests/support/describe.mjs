// Text of a value as a user could see it, for the token scan: JSON for data; name, code, message,
// stack and cause for errors. No imports, so token-scan-hooks.mjs can also ship it into pages.

/** `fallback` prints what JSON cannot (a cycle); Node passes util.format's `%o`. */
export function describe(value, depth = 0, fallback = String) {
  if (value === null || value === undefined || typeof value === 'symbol') return String(value);
  if (typeof value !== 'object') return String(value);
  if (value instanceof Error || (typeof value.message === 'string' && typeof value.name === 'string')) {
    const cause = depth < 3 && 'cause' in value ? ` cause: ${describe(value.cause, depth + 1, fallback)}` : '';
    return `${value.name} ${value.code ?? ''}: ${value.message}\n${value.stack ?? ''}${cause}`;
  }
  try {
    return JSON.stringify(value);
  } catch {
    return fallback(value);
  }
}
