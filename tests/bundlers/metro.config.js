// The React Native template's metro.config.js (resolution, transform and polyfills at their
// defaults), but without the modules React Native runs before the app (InitializeCore): those need
// the react-native package and a device's native modules, and this bundle runs in Node and Hermes.
const { getDefaultConfig, mergeConfig } = require('@react-native/metro-config');

module.exports = mergeConfig(getDefaultConfig(__dirname), {
  serializer: { getModulesRunBeforeMainModule: () => [] },
});
