import { statementsDuring } from '../../support/count-queries.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  // api role: no job worker in this process, so every statement belongs to the request.
  t = await startTestApp({}, { argv: ['--role=api'] });
});
afterAll(() => t.stop());

describe('what authentication costs per request', () => {
  it('answers an authenticated `me` with one query (session and user in one join)', async () => {
    const token = await t.adminToken();
    await t.gql('{ me { id } }', {}, { token }); // warm-up
    const sql = await statementsDuring(t.app, () => t.gql('{ me { id email role } }', {}, { token }));
    expect(sql).toHaveLength(1);
    // That one query also checks the session: a revoked session fails authentication without a second round trip.
    expect(sql[0]).toMatch(/\buser_session\b/);
    expect(sql[0]).toMatch(/\bapp_user\b/);
  });
});
