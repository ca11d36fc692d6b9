// The React 19 app folder's imports, resolved from here: react and react-dom 19, and authlane as
// the test unpacked it into this folder's node_modules (so authlane/react's own import of 'react'
// finds React 19, as in an app that installed both).
import { createRequire } from 'node:module';

export { createElement, useState, version } from 'react';
export { createRoot } from 'react-dom/client';
export { renderToString } from 'react-dom/server';
export { createAuthClient } from 'authlane';
export { useSession } from 'authlane/react';
/** The CommonJS build of the entry, as `require('authlane/react')` gives it. */
export const required = createRequire(import.meta.url)('authlane/react');
