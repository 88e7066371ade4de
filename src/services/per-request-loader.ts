import DataLoader from 'dataloader';
import type { Scope } from './scope.js';

/**
 * A DataLoader per request scope (a request's context lives exactly as long as the request), so the
 * rows a page asks for one by one are read in one batch. `batch` returns one value per key, in order.
 */
export function perRequestLoader<K, V>(batch: (scope: Scope, keys: readonly K[]) => Promise<V[]>): (scope: Scope, key: K) => Promise<V> {
  const loaders = new WeakMap<Scope, DataLoader<K, V>>();
  return (scope, key) => {
    let loader = loaders.get(scope);
    if (!loader) loaders.set(scope, (loader = new DataLoader<K, V>((keys) => batch(scope, keys))));
    return loader.load(key);
  };
}
