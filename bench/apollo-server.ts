import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { GraphQLScalarType } from 'graphql';
import pg from 'pg';
import { readAuditLog, readMe, readSites, readWallets } from './reference-queries.js';
import { readOrders } from './orders/reference-orders.js';
import { readAllocationPage, releaseNode, releasesLoader, type AllocationNode, type ReleaseRow } from './vesting/reference-allocations.js';
import type DataLoader from 'dataloader';
import { isEntry, runAsChild, type ReferenceServer } from './reference-child.js';

/**
 * The "plain Apollo" reference: Apollo Server 5 as its docs start one (startStandaloneServer, default
 * plugins), an SDL schema with only the types the benchmark reads (same names and fields as the
 * contract, ../shared/spec/schema.graphql), and resolvers that run one SQL statement through a `pg`
 * Pool. No auth: the caller's user and site ids come in the `x-user-id` and `x-site-id` headers.
 *
 * As a process (the platform bench):
 *   DATABASE_URL=… BENCH_POOL_MAX=10 node --import @swc-node/register/esm-register bench/apollo-server.ts
 */
export const typeDefs = /* GraphQL */ `
  scalar DateTime
  scalar Decimal

  enum Role {
    SUPER_ADMIN
    SITE_ADMIN
    OPERATOR
    CUSTOMER
  }

  enum Network {
    ETHEREUM
    TRON
  }

  enum WalletStatus {
    AVAILABLE
    ALLOCATED
    COOLING_DOWN
    DISABLED
  }

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  type Site {
    id: ID!
    slug: String!
    name: String!
    createdAt: DateTime!
  }

  type User {
    id: ID!
    email: String!
    role: Role!
  }

  type Wallet {
    id: ID!
    network: Network!
    address: String!
    label: String
    status: WalletStatus!
    balance: Decimal
    createdAt: DateTime!
  }

  type WalletEdge {
    node: Wallet!
    cursor: String!
  }

  type WalletConnection {
    edges: [WalletEdge!]!
    pageInfo: PageInfo!
  }

  type AuditEntry {
    id: ID!
    action: String!
    targetType: String!
    targetId: String!
    details: String!
    ip: String
    at: DateTime!
  }

  type AuditEntryEdge {
    node: AuditEntry!
    cursor: String!
  }

  type AuditEntryConnection {
    edges: [AuditEntryEdge!]!
    pageInfo: PageInfo!
  }

  enum OrderStatus {
    PENDING
    CONFIRMING
    PAID
    UNDERPAID
    EXPIRED
    CANCELLED
  }

  type Asset {
    symbol: String!
    decimals: Int!
  }

  # The fields bench/orders.ts reads (amounts already in their asset's decimals).
  type PaymentOrder {
    id: ID!
    reference: String!
    status: OrderStatus!
    network: Network!
    asset: Asset!
    payToAddress: String!
    amountExpected: Decimal!
    amountReceived: Decimal!
    tokenAmount: Decimal!
    createdAt: DateTime!
  }

  type PaymentOrderEdge {
    node: PaymentOrder!
    cursor: String!
  }

  type PaymentOrderConnection {
    edges: [PaymentOrderEdge!]!
    pageInfo: PageInfo!
  }

  # The fields bench/vesting.ts reads (amounts already in their asset's decimals).
  enum AllocationStatus {
    ACTIVE
    COMPLETED
    REVOKED
  }

  enum ReleaseStatus {
    LOCKED
    UNLOCKED
    PROCESSING
    RELEASED
    FAILED
  }

  type VestingRelease {
    index: Int!
    amount: Decimal!
    unlockAt: DateTime!
    status: ReleaseStatus!
  }

  type Allocation {
    id: ID!
    status: AllocationStatus!
    totalAmount: Decimal!
    claimableAmount: Decimal!
    lockedAmount: Decimal!
    startAt: DateTime!
    releases: [VestingRelease!]!
  }

  type AllocationEdge {
    node: Allocation!
    cursor: String!
  }

  type AllocationConnection {
    edges: [AllocationEdge!]!
    pageInfo: PageInfo!
  }

  type Query {
    me: User
    sites: [Site!]!
    wallets(first: Int = 50): WalletConnection!
    auditLog(first: Int = 50): AuditEntryConnection!
    orders(first: Int = 50): PaymentOrderConnection!
    allocations(first: Int = 50): AllocationConnection!
  }
`;

interface Context {
  userId: string | null;
  siteId: string | null;
  /** Made on first use by `Allocation.releases`: one per request, as DataLoader's docs advise. */
  releases?: DataLoader<string, ReleaseRow[]>;
}

const header = (v: string | string[] | undefined): string | null => (Array.isArray(v) ? (v[0] ?? null) : (v ?? null));

function requireSite(ctx: Context): string {
  if (!ctx.siteId) throw new Error('x-site-id is required');
  return ctx.siteId;
}

export async function startApolloReference(databaseUrl: string, poolMax: number): Promise<ReferenceServer> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax });
  const resolvers = {
    DateTime: new GraphQLScalarType<Date, string>({ name: 'DateTime', serialize: (v) => (v as Date).toISOString() }),
    Decimal: new GraphQLScalarType<string, string>({ name: 'Decimal', serialize: (v) => String(v) }),
    Query: {
      me: (_: unknown, _args: unknown, ctx: Context) => readMe(pool, ctx.userId),
      sites: () => readSites(pool),
      wallets: (_: unknown, args: { first: number }, ctx: Context) => readWallets(pool, requireSite(ctx), args.first),
      auditLog: (_: unknown, args: { first: number }, ctx: Context) => readAuditLog(pool, requireSite(ctx), args.first),
      orders: (_: unknown, args: { first: number }, ctx: Context) => readOrders(pool, requireSite(ctx), args.first),
      allocations: async (_: unknown, args: { first: number }, ctx: Context) => {
        const page = await readAllocationPage(pool, requireSite(ctx), args.first);
        const edges = page.items.map((i) => ({ node: { ...i.node, decimals: i.decimals }, cursor: i.cursor }));
        return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
      },
    },
    Allocation: {
      releases: async (a: AllocationNode & { decimals: number }, _args: unknown, ctx: Context) => {
        ctx.releases ??= releasesLoader(pool, requireSite(ctx));
        return (await ctx.releases.load(a.id)).map((r) => releaseNode(r, a.decimals));
      },
    },
  };
  const server = new ApolloServer<Context>({ typeDefs, resolvers });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ userId: header(req.headers['x-user-id']), siteId: header(req.headers['x-site-id']) }),
  });
  return {
    url: url.replace(/\/$/, ''),
    async stop() {
      await server.stop();
      await pool.end();
    },
  };
}

if (isEntry(import.meta.url)) await runAsChild('apollo-server', startApolloReference);
