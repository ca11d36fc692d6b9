// Types for `authlane/dpop`: imported for its effect only. It registers DPoP's module and signer
// for engines without WebCrypto (React Native); elsewhere `dpop: true` needs no import.
export {};
