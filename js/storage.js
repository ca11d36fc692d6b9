// Storage adapters: each returns a TokenStorage { getItem, setItem, removeItem }, sync or async.
import { AuthlaneError } from './errors.js';
import { CODE } from './facts.js';

function need(object, methods, what) {
  const ok = object !== null && (typeof object === 'object' || typeof object === 'function') &&
    methods.every((m) => typeof object[m] === 'function');
  if (!ok) {
    throw new AuthlaneError(CODE.INVALID_CONFIG, `${what} must have ${methods.join(', ')}`);
  }
}

/** Tokens in memory only: the default; nothing persists across reloads. */
export function memoryStorage() {
  const items = new Map();
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => void items.set(key, String(value)),
    removeItem: (key) => void items.delete(key),
  };
}

/** `localStorage` or `sessionStorage`. Opt-in: any script on the page can read web storage. */
export function webStorage(storage) {
  need(storage, ['getItem', 'setItem', 'removeItem'], 'webStorage(storage)');
  return {
    getItem: (key) => storage.getItem(key),
    setItem: (key, value) => storage.setItem(key, value),
    removeItem: (key) => storage.removeItem(key),
  };
}

/** react-native-keychain: one generic-password entry per key, under `${service}.${key}`. */
export function keychainStorage(Keychain, options) {
  need(Keychain, ['getGenericPassword', 'setGenericPassword', 'resetGenericPassword'],
    'keychainStorage(Keychain)');
  const prefix = options && options.service ? options.service + '.' : '';
  const service = (key) => ({ service: prefix + key });
  return {
    async getItem(key) {
      const entry = await Keychain.getGenericPassword(service(key));
      return entry && typeof entry.password === 'string' ? entry.password : null;
    },
    async setItem(key, value) {
      await Keychain.setGenericPassword(key, value, service(key));
    },
    async removeItem(key) {
      await Keychain.resetGenericPassword(service(key));
    },
  };
}

/** expo-secure-store. */
export function secureStoreStorage(SecureStore) {
  need(SecureStore, ['getItemAsync', 'setItemAsync', 'deleteItemAsync'],
    'secureStoreStorage(SecureStore)');
  return {
    getItem: (key) => SecureStore.getItemAsync(key),
    setItem: (key, value) => SecureStore.setItemAsync(key, value),
    removeItem: (key) => SecureStore.deleteItemAsync(key),
  };
}
