/**
 * Retries a read with exponential backoff and jitter, each attempt under its own timeout. For reads
 * only: nothing that moves money is ever retried blindly.
 */
export async function retryRead<T>(
  read: (signal: AbortSignal) => Promise<T>,
  opts: { retries: number; timeoutMs: number; baseDelayMs?: number },
): Promise<T> {
  const base = opts.baseDelayMs ?? 200;
  let lastError: unknown;
  for (let attempt = 0; attempt <= opts.retries; attempt++) {
    if (attempt > 0) {
      const delay = base * 2 ** (attempt - 1);
      await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * (delay / 2)));
    }
    const signal = AbortSignal.timeout(opts.timeoutMs);
    try {
      return await raceAbort(read(signal), signal);
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/** Some clients ignore the signal; the timeout must hold anyway. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((ok, fail) => {
    const onAbort = () => fail(new Error(`timed out`));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(ok, fail).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapWithConcurrency<I, O>(items: readonly I[], limit: number, fn: (item: I) => Promise<O>): Promise<O[]> {
  const out = new Array<O>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
