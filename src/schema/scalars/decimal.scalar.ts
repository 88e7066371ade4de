import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** Unsigned decimal without exponent, sign, spaces or leading zeros. Scale is checked per asset later. */
export const DECIMAL_PATTERN = /^(0|[1-9]\d{0,77})(\.\d{1,78})?$/;

function parse(value: unknown): string {
  if (typeof value !== 'string' || !DECIMAL_PATTERN.test(value)) {
    throw new GraphQLError('Decimal must be a non-negative decimal number in a string, e.g. "1250.000001"', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return value;
}

/** Exact decimal carried as a string; numbers are refused on input so no float ever enters. */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'Exact decimal number carried as a string, e.g. "1250.000001". Never a float.\nOn input, more fractional digits than the asset\'s decimals is a BAD_USER_INPUT error.',
  serialize(value) {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'string') return value;
    throw new GraphQLError('Decimal can only serialize strings and bigints');
  },
  parseValue: parse,
  parseLiteral(ast) {
    return parse(ast.kind === Kind.STRING ? ast.value : undefined);
  },
});
