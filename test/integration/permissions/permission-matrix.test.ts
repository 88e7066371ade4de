import { randomUUID } from 'node:crypto';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';
import { buildBareSchema } from '../../../src/schema/build-schema.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, createSiteFixture, startTestApp, type GqlResult, type SiteFixture, type TestApp } from '../../support/test-app.js';
import { subscribeWs } from '../../support/ws-client.js';

const EMAILS: Partial<Record<string, string>> = { SUPER_ADMIN: ADMIN_EMAIL, SITE_ADMIN: 'site_admin@matrix.test', OPERATOR: 'operator@matrix.test', CUSTOMER: 'customer@matrix.test' };

/**
 * domain.md's permission table, as data. Every root field the server builds must be listed here:
 * a new field fails this test until someone decides who may call it.
 */
type Caller = 'anonymous' | 'SUPER_ADMIN' | 'SITE_ADMIN' | 'OPERATOR' | 'CUSTOMER';
const ALLOWED: Record<string, Caller[]> = {
  'Query.me': ['anonymous', 'SUPER_ADMIN', 'SITE_ADMIN', 'OPERATOR', 'CUSTOMER'],
  'Mutation.login': ['anonymous', 'SUPER_ADMIN', 'SITE_ADMIN', 'OPERATOR', 'CUSTOMER'],
  'Mutation.logout': ['SUPER_ADMIN', 'SITE_ADMIN', 'OPERATOR', 'CUSTOMER'],
  'Query.sites': ['SUPER_ADMIN'],
  'Mutation.createSite': ['SUPER_ADMIN'],
  'Mutation.createUser': ['SUPER_ADMIN', 'SITE_ADMIN'],
  'Query.auditLog': ['SUPER_ADMIN', 'SITE_ADMIN', 'OPERATOR'],
  'Query.jobStats': ['SUPER_ADMIN', 'SITE_ADMIN', 'OPERATOR'],
  'Query.assets': ['SITE_ADMIN', 'OPERATOR', 'CUSTOMER'],
  'Mutation.upsertAsset': ['SITE_ADMIN'],
  'Query.wallets': ['SITE_ADMIN', 'OPERATOR'],
  'Query.walletPoolStats': ['SITE_ADMIN', 'OPERATOR'],
  'Mutation.generateWallets': ['SITE_ADMIN'],
  'Mutation.importWallet': ['SITE_ADMIN'],
  'Mutation.setWalletStatus': ['SITE_ADMIN'],
  'Mutation.updateSiteSettings': ['SITE_ADMIN'],
  'Query.vestingPlans': ['SITE_ADMIN', 'OPERATOR', 'CUSTOMER'],
  'Mutation.createVestingPlan': ['SITE_ADMIN'],
  'Query.order': ['SITE_ADMIN', 'OPERATOR', 'CUSTOMER'],
  'Query.orders': ['SITE_ADMIN', 'OPERATOR', 'CUSTOMER'],
  'Mutation.createOrder': ['CUSTOMER'],
  'Mutation.cancelOrder': ['SITE_ADMIN', 'OPERATOR', 'CUSTOMER'],
  'Mutation.confirmOrderManually': ['SITE_ADMIN'],
  'Subscription.orderUpdated': ['SITE_ADMIN', 'OPERATOR', 'CUSTOMER'],
  'Subscription.siteOrderUpdated': ['SITE_ADMIN', 'OPERATOR'],
  'Query.allocation': ['SITE_ADMIN', 'OPERATOR', 'CUSTOMER'],
  'Query.allocations': ['SITE_ADMIN', 'OPERATOR', 'CUSTOMER'],
  'Query.releases': ['SITE_ADMIN', 'OPERATOR', 'CUSTOMER'],
  'Mutation.revokeAllocation': ['SITE_ADMIN'],
  'Subscription.releaseUpdated': ['SITE_ADMIN', 'OPERATOR'],
  'Query.payoutMode': ['SITE_ADMIN', 'OPERATOR'],
  'Mutation.releaseBatch': ['SITE_ADMIN'],
  'Mutation.retryRelease': ['SITE_ADMIN'],
  'Query.webhookEndpoints': ['SITE_ADMIN'],
  'Query.webhookDeliveries': ['SITE_ADMIN', 'OPERATOR'],
  'Mutation.createWebhookEndpoint': ['SITE_ADMIN'],
  'Mutation.rotateWebhookSecret': ['SITE_ADMIN'],
  'Mutation.setWebhookEndpointActive': ['SITE_ADMIN'],
  'Mutation.redeliverWebhook': ['SITE_ADMIN', 'OPERATOR'],
};
const CALLERS: Caller[] = ['anonymous', 'SUPER_ADMIN', 'SITE_ADMIN', 'OPERATOR', 'CUSTOMER'];

/** A value of the right type for every required argument, so the request passes validation. */
function sampleValue(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sampleValue(type.ofType);
  if (isListType(type)) return [sampleValue(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0]!.value;
  if (isInputObjectType(type)) {
    return Object.fromEntries(Object.values(type.getFields()).filter((f) => isNonNullType(f.type)).map((f) => [f.name, sampleValue(f.type)]));
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'ID':
        return randomUUID();
      case 'Int':
        return 1;
      case 'Float':
        return 1.5;
      case 'Boolean':
        return true;
      case 'DateTime':
        return new Date().toISOString();
      case 'Decimal':
        return '1';
      default:
        return `matrix-${randomUUID().slice(0, 8)}`;
    }
  }
  throw new Error(`no sample for ${String(type)}`);
}

function operationFor(kind: Kind, field: GraphQLField<unknown, unknown>) {
  const required = field.args.filter((a) => isNonNullType(a.type));
  const varDefs = required.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const args = required.map((a) => `${a.name}: $${a.name}`).join(', ');
  const named = getNamedType(field.type);
  const selection = isScalarType(named) || isEnumType(named) ? '' : ' { __typename }';
  const query = `${kind} Matrix${varDefs ? `(${varDefs})` : ''} { ${field.name}${args ? `(${args})` : ''}${selection} }`;
  const variables = Object.fromEntries(required.map((a) => [a.name, sampleValue(a.type)]));
  return { query, variables };
}

let t: TestApp;
let site: SiteFixture;
let tokens: Record<Caller, string | null>;
type Kind = 'query' | 'mutation' | 'subscription';
let rootFields: { kind: Kind; key: string; field: GraphQLField<unknown, unknown> }[];

beforeAll(async () => {
  t = await startTestApp();
  site = await createSiteFixture(t, 'matrix');
  tokens = {
    anonymous: null,
    SUPER_ADMIN: await t.adminToken(),
    SITE_ADMIN: site.adminToken,
    OPERATOR: site.operatorToken,
    CUSTOMER: site.customerToken,
  };
  const schema = await buildBareSchema();
  const roots: [Kind, GraphQLObjectType | null | undefined][] = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ];
  rootFields = roots.flatMap(([kind, type]) => Object.values(type?.getFields() ?? {}).map((field) => ({ kind, key: `${type!.name}.${field.name}`, field })));
});
afterAll(() => t.stop());

/**
 * Runs one operation as a caller: queries and mutations over HTTP, subscriptions over graphql-ws
 * (where an anonymous caller is refused at connect, with close code 4401). A subscription the
 * permission layer lets through either ends with the use case's error or stays open.
 */
async function run(kind: Kind, query: string, variables: Record<string, unknown>, token: string | null): Promise<{ errors?: GqlResult['errors']; data?: unknown }> {
  if (kind !== 'subscription') return t.gql(query, variables, { token });
  if (!token) {
    const closed = await subscribeWs(t.app.graphqlUrl, {}, query, variables).then(
      (sub) => sub.waitEnded(2000),
      (e: Error) => ({ closed: { code: 0, reason: e.message } }),
    );
    return { errors: [{ message: 'closed', extensions: { code: /4401|closed before ack/.test(JSON.stringify(closed)) ? 'UNAUTHENTICATED' : 'UNEXPECTED', reason: 'UNAUTHENTICATED' } }] };
  }
  const sub = await subscribeWs(t.app.graphqlUrl, { authorization: `Bearer ${token}` }, query, variables);
  try {
    const ended = await sub.waitEnded(500).catch(() => undefined);
    if (ended?.closed) return { errors: [{ message: `closed ${ended.closed.code}`, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
    // Refused when subscribing: graphql-ws sends the errors as one `next`, then `complete`.
    return { errors: ended?.errors ?? (sub.pending() ? (await sub.next()).errors : undefined) };
  } finally {
    sub.close();
  }
}

describe('permission matrix (driven by the built schema)', () => {
  it('has a rule decision for every root field the server builds', () => {
    const undecided = rootFields.map((f) => f.key).filter((k) => !(k in ALLOWED));
    expect(undecided).toEqual([]);
    expect(rootFields.length).toBeGreaterThanOrEqual(Object.keys(ALLOWED).length);
  });

  it('refuses every caller the table does not allow, with UNAUTHENTICATED or FORBIDDEN and no data', async () => {
    const failures: string[] = [];
    let refusals = 0;
    for (const { kind, key, field } of rootFields) {
      for (const caller of CALLERS) {
        if (ALLOWED[key]?.includes(caller)) continue;
        // SUPER_ADMIN acts inside a site through x-site-id; without it, site-staff fields refuse it too.
        const { query, variables } = operationFor(kind, field);
        const r = await run(kind, query, variables, tokens[caller]);
        const code = r.errors?.[0]?.extensions?.code;
        const expected = caller === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN';
        refusals++;
        if (code !== expected || (r.data && (r.data as Record<string, unknown>)[field.name] != null)) {
          failures.push(`${key} as ${caller}: expected ${expected}, got ${JSON.stringify(r.errors ?? r.data)}`);
        }
        if (JSON.stringify(r.errors ?? []).match(/stack|select |insert |postgres|Not Authorised/i)) failures.push(`${key} as ${caller}: leaks internals`);
      }
    }
    expect(failures).toEqual([]);
    expect(refusals).toBeGreaterThan(10);
  });

  it('lets every allowed caller past the permission layer', async () => {
    const failures: string[] = [];
    for (const { kind, key, field } of rootFields) {
      for (const caller of ALLOWED[key] ?? []) {
        const { query, variables } = operationFor(kind, field);
        // logout ends the session it is called with: give it a session of its own.
        const token = key === 'Mutation.logout' ? await t.login(EMAILS[caller]!, caller === 'SUPER_ADMIN' ? ADMIN_PASSWORD : PASSWORD) : tokens[caller];
        const r = await run(kind, query, variables, token);
        const { code, reason } = r.errors?.[0]?.extensions ?? {};
        // Sample arguments may be refused by the use case (NOT_FOUND, BAD_USER_INPUT, a wrong password's
        // INVALID_CREDENTIALS...), but never by the permission layer, whose refusals carry reason = code.
        const byPermissions = (code === 'FORBIDDEN' || code === 'UNAUTHENTICATED') && reason === code;
        if (byPermissions || code === 'INTERNAL_SERVER_ERROR') {
          failures.push(`${key} as ${caller}: ${JSON.stringify(r.errors)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('lets a SUPER_ADMIN use site-staff fields inside a site chosen with x-site-id', async () => {
    const r = await t.gql<{ walletPoolStats: unknown[] }>('{ walletPoolStats { network } }', {}, { token: tokens.SUPER_ADMIN, siteId: site.siteId });
    expect(r.errors).toBeUndefined();
    const without = await t.gql('{ walletPoolStats { network } }', {}, { token: tokens.SUPER_ADMIN });
    expect(without.errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });

  it("shows a SUPER_ADMIN the platform's own audit entries without x-site-id, and a site's with it", async () => {
    type Log = { auditLog: { edges: { node: { action: string; targetId: string } }[] } };
    const platform = await t.gql<Log>('{ auditLog(first: 100) { edges { node { action targetId } } } }', {}, { token: tokens.SUPER_ADMIN });
    expect(platform.data!.auditLog.edges.map((e) => e.node.action)).toEqual(['user.bootstrapped']);
    const inSite = await t.gql<Log>('{ auditLog(first: 100) { edges { node { action targetId } } } }', {}, { token: tokens.SUPER_ADMIN, siteId: site.siteId });
    expect(inSite.data!.auditLog.edges.map((e) => e.node.action)).toContain('site.created');
    expect(inSite.data!.auditLog.edges.map((e) => e.node.action)).not.toContain('user.bootstrapped');
  });

  it('ignores x-site-id from anybody but a SUPER_ADMIN', async () => {
    const other = await createSiteFixture(t, 'matrix-other');
    const r = await t.gql<{ auditLog: { edges: { node: { targetId: string } }[] } }>(
      '{ auditLog(first: 100) { edges { node { targetId } } } }',
      {},
      { token: site.adminToken, siteId: other.siteId },
    );
    const targets = r.data!.auditLog.edges.map((e) => e.node.targetId);
    expect(targets).toContain(site.siteId);
    expect(targets).not.toContain(other.siteId);
  });
});
