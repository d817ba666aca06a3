// The one store: a plain state object, replaced (never mutated) by set(), with subscribers.

export function createStore(initial) {
  let state = Object.freeze({...initial});
  const listeners = new Set();
  return {
    get: () => state,
    /** Merge `partial` into the state and tell subscribers which keys changed. */
    set(partial) {
      const changed = Object.keys(partial).filter((key) => state[key] !== partial[key]);
      if (!changed.length) return;
      state = Object.freeze({...state, ...partial});
      for (const listener of [...listeners]) listener(state, changed);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
