/** Key names whose values are never written to the audit log, whatever a caller passes. */
// `token$`, not `token`: a tokenAmount is data, an accessToken is a secret.
const SECRET_KEY = /pass(word)?|secret|token$|private|mnemonic|seed|api[-_]?key|authorization|cookie|cipher|sealed/i;

/** Deep copy of audit details without secret-looking keys; keeps the log safe to show to admins. */
export function sanitizeDetails(details: Record<string, unknown>): Record<string, unknown> {
  const walk = (v: unknown, depth: number): unknown => {
    if (depth > 5) return '[truncated]';
    if (Array.isArray(v)) return v.slice(0, 100).map((x) => walk(x, depth + 1));
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, SECRET_KEY.test(k) ? '[redacted]' : walk(x, depth + 1)]),
      );
    }
    if (typeof v === 'bigint') return v.toString();
    return v;
  };
  return walk(details, 0) as Record<string, unknown>;
}
