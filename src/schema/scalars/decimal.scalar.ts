import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { splitDecimal } from '../../services/money/amount.js';
import { clientError } from '../error-map.js';

/** Up to uint256 on each side of the point; the scale is checked per asset later. */
const MAX_DIGITS = 78;

function parse(value: unknown): string {
  const parts = splitDecimal(value);
  if (!parts || parts.whole.length > MAX_DIGITS || parts.fraction.length > MAX_DIGITS) {
    throw clientError('BAD_USER_INPUT', 'Decimal must be a non-negative decimal number in a string, e.g. "1250.000001"');
  }
  return value as string;
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
