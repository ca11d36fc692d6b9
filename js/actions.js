// The lifecycle action types (Flux Standard Actions). Both spellings name the same strings:
// ACTION.refreshStarted === ACTION.REFRESH_STARTED === 'authlane/refreshStarted'. The names come
// from the core (facts.js).
import { ACTION_NAMES } from './facts.js';

/** @type {Readonly<Record<string, string>>} */
export const ACTION = Object.freeze(
  ACTION_NAMES.reduce((all, name) => {
    all[name] = all[name.replace(/[A-Z]/g, '_$&').toUpperCase()] = 'authlane/' + name;
    return all;
  }, {}),
);
