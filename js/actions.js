// The lifecycle action types (Flux Standard Actions). Both spellings name the same strings:
// ACTION.refreshStarted === ACTION.REFRESH_STARTED === 'authlane/refreshStarted'.
const names = [
  ['restored', 'RESTORED'],
  ['loggedIn', 'LOGGED_IN'],
  ['refreshStarted', 'REFRESH_STARTED'],
  ['refreshSucceeded', 'REFRESH_SUCCEEDED'],
  ['refreshFailed', 'REFRESH_FAILED'],
  ['sessionExpired', 'SESSION_EXPIRED'],
  ['loggedOut', 'LOGGED_OUT'],
];

/** @type {Readonly<Record<string, string>>} */
export const ACTION = Object.freeze(
  names.reduce((all, [camel, upper]) => {
    all[camel] = all[upper] = 'authlane/' + camel;
    return all;
  }, {}),
);
