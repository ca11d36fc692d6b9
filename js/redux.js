// The `authlane/redux` entry point (middleware, reducer and apiCall arrive with the Redux work).
export { ACTION } from './actions.js';
