// require('authlane') from a CommonJS file, for server-entry.mjs --require. In a file of its own:
// Deno resolves a bare specifier once per module, so a require('authlane') beside an
// import('authlane') would hand the import the CommonJS build too.
exports.authlane = require('authlane');
exports.resolved = require.resolve('authlane');
