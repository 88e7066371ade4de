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
