const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Row ids are UUIDs; anything else can name no row (and must not reach a uuid column as SQL input). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
