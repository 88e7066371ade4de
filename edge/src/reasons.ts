/**
 * Every answer the worker gives without the origin, with its status and the human text sent next to the
 * machine-readable `reason`. One table, so the docs, the tests and the log lines agree on the codes.
 */
export const REJECTIONS = {
  edge_misconfigured: { status: 503, error: 'Edge worker is misconfigured' },
  unknown_path: { status: 404, error: 'Not found' },
  method_not_allowed: { status: 405, error: 'Only POST is accepted' },
  bad_content_length: { status: 400, error: 'Content-Length is not a number' },
  body_too_large: { status: 413, error: 'Request body too large' },
  unsupported_media_type: { status: 415, error: 'Content-Type must be application/json' },
  ip_not_allowed: { status: 403, error: 'Source address not allowed' },
  rate_limited: { status: 429, error: 'Too many requests' },
  signature_missing: { status: 401, error: 'Fireblocks signature required' },
  signature_invalid: { status: 401, error: 'Fireblocks signature invalid' },
  jwks_unavailable: { status: 503, error: 'Signing keys unavailable; retry later' },
  origin_unreachable: { status: 503, error: 'Origin unreachable; retry later' },
  origin_error: { status: 502, error: 'Origin failed; retry later' },
  internal_error: { status: 500, error: 'Internal error' },
} as const satisfies Record<string, { status: number; error: string }>;

export type RejectReason = keyof typeof REJECTIONS;

/** `detail` narrows a reason (which signature check failed); it names a check, never a value. */
export function rejection(reason: RejectReason, opts: { detail?: string; headers?: Record<string, string> } = {}): Response {
  const { status, error } = REJECTIONS[reason];
  return Response.json({ error, reason, ...(opts.detail ? { detail: opts.detail } : {}) }, { status, headers: opts.headers });
}
