import WebSocket from 'ws';

export interface WsResult {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[];
}

/** A graphql-transport-ws connection that runs operations one after another and reports how it closed. */
export interface WsSession {
  run(query: string, variables?: unknown): Promise<WsResult | { closed: { code: number; reason: string } }>;
  closed(): { code: number; reason: string } | undefined;
  close(): void;
}

export async function openWs(url: string, connectionParams: Record<string, unknown>): Promise<WsSession> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  let closed: { code: number; reason: string } | undefined;
  const waiters = new Map<string, (v: WsResult | { closed: { code: number; reason: string } }) => void>();
  const results = new Map<string, WsResult>();
  ws.on('close', (code, reason) => {
    closed = { code, reason: reason.toString() };
    for (const w of waiters.values()) w({ closed });
  });
  await new Promise<void>((ok, fail) => {
    ws.on('error', fail);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: connectionParams })));
    ws.on('close', () => fail(new Error(`closed before ack: ${closed?.code} ${closed?.reason}`)));
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { type: string; id?: string; payload?: unknown };
      if (msg.type === 'connection_ack') ok();
      if (msg.type === 'next') results.set(msg.id!, msg.payload as WsResult);
      if (msg.type === 'error') results.set(msg.id!, { errors: msg.payload as WsResult['errors'] });
      if ((msg.type === 'complete' || msg.type === 'error') && msg.id) waiters.get(msg.id)?.(results.get(msg.id) ?? {});
    });
  });
  let n = 0;
  return {
    run(query, variables) {
      const id = String(++n);
      return new Promise((resolve, reject) => {
        if (closed) return resolve({ closed });
        const timer = setTimeout(() => reject(new Error(`no answer to ${id} within 5 s`)), 5000);
        waiters.set(id, (v) => {
          clearTimeout(timer);
          resolve(v);
        });
        ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
      });
    },
    closed: () => closed,
    close: () => ws.close(1000),
  };
}

/** A live graphql-ws subscription: every `next` payload in order, and how it ended. */
export interface WsSubscription {
  /** The next payload not yet taken (waits up to `timeoutMs`). */
  next(timeoutMs?: number): Promise<WsResult>;
  /** Payloads received and not yet taken. */
  pending(): number;
  /** Set once the server sent `complete` or `error` for it (errors carried), or the socket closed. */
  ended(): { errors?: WsResult['errors']; closed?: { code: number; reason: string } } | undefined;
  /** Waits until the subscription ended (server side), up to `timeoutMs`. */
  waitEnded(timeoutMs?: number): Promise<NonNullable<ReturnType<WsSubscription['ended']>>>;
  unsubscribe(): void;
  /** Closes the socket. */
  close(): void;
}

/** Opens its own socket and starts one subscription on it. */
export async function subscribeWs(url: string, connectionParams: Record<string, unknown>, query: string, variables?: unknown): Promise<WsSubscription> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const queue: WsResult[] = [];
  let ended: ReturnType<WsSubscription['ended']>;
  let wake: (() => void) | undefined;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  const waitFor = async <T>(get: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = get();
      if (v !== undefined) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  ws.on('close', (code, reason) => {
    ended ??= { closed: { code, reason: reason.toString() } };
    poke();
  });
  await new Promise<void>((ok, fail) => {
    ws.on('error', fail);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: connectionParams })));
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { type: string; id?: string; payload?: unknown };
      if (msg.type === 'connection_ack') {
        ws.send(JSON.stringify({ id: 'sub', type: 'subscribe', payload: { query, variables } }));
        ok();
      }
      if (msg.type === 'next') queue.push(msg.payload as WsResult);
      if (msg.type === 'error') ended = { errors: msg.payload as WsResult['errors'] };
      if (msg.type === 'complete') ended ??= {};
      poke();
    });
    ws.on('close', () => fail(new Error('closed before ack')));
  });
  return {
    next: (timeoutMs = 5000) => waitFor(() => queue.shift(), timeoutMs, 'subscription event'),
    pending: () => queue.length,
    ended: () => ended,
    waitEnded: (timeoutMs = 5000) => waitFor(() => ended, timeoutMs, 'end of subscription'),
    unsubscribe: () => ws.send(JSON.stringify({ id: 'sub', type: 'complete' })),
    close: () => ws.close(1000),
  };
}
