import { connect } from 'node:net';
import { startTestApp, type TestApp } from '../../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.stop());

/** A client that goes away in the middle of its request body is not a server error. */
it('logs no error when a client drops the connection while sending its body', async () => {
  const before = t.logs.length;
  await new Promise<void>((done, fail) => {
    const socket = connect(t.app.port, '127.0.0.1', () => {
      socket.write('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":"{ me');
      setTimeout(() => {
        socket.destroy();
        done();
      }, 100);
    });
    socket.on('error', fail);
  });
  // Give the server time to notice the dropped socket and finish its work.
  await new Promise((r) => setTimeout(r, 300));
  const lines = t.logs.slice(before).map((l) => JSON.parse(l) as { level: number; msg: string });
  expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  // The server is still answering.
  expect((await t.gql('{ me { id } }')).data).toEqual({ me: null });
});
