import type { FieldNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';
import { Field, Int, ObjectType, type ClassType } from 'type-graphql';
import type { Page } from '../../services/pagination.js';
import { PageInfo } from './page-info.type.js';

export interface Edge<T> {
  node: T;
  cursor: string;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount: number;
  totalCountCapped: boolean;
}

/**
 * The `<Name>Edge` and `<Name>Connection` GraphQL types of a list, so every list has the same shape.
 * `totalCount` is computed only when a query selects it, and counts up to a cap (see pagination.ts).
 */
export function connectionType<T extends object>(node: ClassType<T>, name: string): ClassType<Connection<T>> {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class EdgeType implements Edge<T> {
    @Field(() => node)
    node!: T;

    @Field()
    cursor!: string;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true })
  class ConnectionType implements Connection<T> {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'Matching items across all pages, counted up to a cap (see totalCountCapped). Computed only when selected.' })
    totalCount!: number;

    @Field({ description: 'True when totalCount stopped at the cap: there are at least that many.' })
    totalCountCapped!: boolean;
  }
  return ConnectionType;
}

/** A service page as a GraphQL connection; `toNode` maps a row to its API type. */
export function toConnection<R, T>(page: Page<R>, toNode: (row: R) => T): Connection<T> {
  return {
    edges: page.items.map((row, i) => ({ node: toNode(row), cursor: page.cursors[i]! })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors.at(-1) ?? null },
    totalCount: page.total?.count ?? 0,
    totalCountCapped: page.total?.capped ?? false,
  };
}

function selects(set: SelectionSetNode | undefined, names: readonly string[], info: GraphQLResolveInfo): boolean {
  for (const s of set?.selections ?? []) {
    if (s.kind === 'Field' && names.includes(s.name.value)) return true;
    if (s.kind === 'InlineFragment' && selects(s.selectionSet, names, info)) return true;
    if (s.kind === 'FragmentSpread' && selects(info.fragments[s.name.value]?.selectionSet, names, info)) return true;
  }
  return false;
}

/** Whether this field's selection asks for the total, so a page that does not pays no count. */
export function wantsTotal(info: GraphQLResolveInfo): boolean {
  return info.fieldNodes.some((f: FieldNode) => selects(f.selectionSet, ['totalCount', 'totalCountCapped'], info));
}
