import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { clientError } from '../error-map.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function parse(value: unknown): Date {
  const d = typeof value === 'string' && ISO.test(value) ? new Date(value) : null;
  if (!d || Number.isNaN(d.getTime())) {
    throw clientError('BAD_USER_INPUT', 'DateTime must be an ISO-8601 timestamp with a time zone, e.g. 2026-11-22T14:00:00.000Z');
  }
  return d;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'ISO-8601 timestamp in UTC, e.g. 2026-11-22T14:00:00.000Z',
  serialize(value) {
    const d = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(d.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date');
    return d.toISOString();
  },
  parseValue: parse,
  parseLiteral(ast) {
    return parse(ast.kind === Kind.STRING ? ast.value : undefined);
  },
});
