// The `authlane/dpop` entry: DPoP for engines without WebCrypto (React Native's Hermes and
// JavaScriptCore), as `authlane/verify` is verifyJwt there. Importing it once registers, under
// Symbol.for('authlane.dpop'), the core with DPoP and the P-256 signer, both compiled to
// JavaScript (wasm2js), each instantiated on first use: authlane's React Native build loads its
// core from here for a client with `dpop` (wasm.rn.js), and js/dpop.js signs with the signer
// where there is no crypto.subtle. Elsewhere authlane needs no import for DPoP.
import './text-codec.js';
import { instantiate as coreModule } from 'authlane-rn-dpop-core';
import { instantiate as signerModule } from 'authlane-rn-dpop-signer';
import { bind } from './core.js';
import { signerOf } from './dpop-signer.rn.js';

const once = (make) => {
  let made = null;
  return () => (made ??= make());
};

const KEY = Symbol.for('authlane.dpop');
if (!globalThis[KEY]) {
  globalThis[KEY] = {
    core: once(() => bind(coreModule())),
    signer: once(() => signerOf(signerModule())),
  };
}
