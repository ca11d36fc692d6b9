// The `authlane/react-native` entry point: for now the same as `authlane`.
export * from './index.js';
