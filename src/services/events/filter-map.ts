/**
 * Maps and filters an event stream. Not an async generator on purpose: a generator waiting for its
 * next event queues `return()` until that event comes, so a client that unsubscribes from a quiet
 * stream would stay subscribed. Here `return()` reaches the source at once.
 */
export function filterMap<T, U>(source: AsyncIterable<T>, fn: (event: T) => Promise<U | undefined>): AsyncIterableIterator<U> {
  const it = source[Symbol.asyncIterator]();
  const close = async () => {
    await it.return?.();
  };
  const iterator: AsyncIterableIterator<U> = {
    async next(): Promise<IteratorResult<U>> {
      for (;;) {
        const r = await it.next();
        if (r.done) return { value: undefined, done: true };
        let out: U | undefined;
        try {
          out = await fn(r.value);
        } catch (e) {
          await close();
          throw e;
        }
        if (out !== undefined) return { value: out, done: false };
      }
    },
    async return(): Promise<IteratorResult<U>> {
      await close();
      return { value: undefined, done: true };
    },
    async throw(e?: unknown): Promise<IteratorResult<U>> {
      await close();
      throw e;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
