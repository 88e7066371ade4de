import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear. Keys, passwords and tokens must never reach a log line,
 * even when a whole request or error object is logged by mistake.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'privateKey',
  '*.privateKey',
  'encryptedKey',
  '*.encryptedKey',
  'variables.password',
  'variables.privateKey',
  'variables.input.password',
  'connectionString',
  '*.connectionString',
];

/**
 * The process logger. Without a destination it writes to stdout asynchronously (lines written while a
 * write is in flight are coalesced): a synchronous write per request line cost about a tenth of a
 * small request's CPU. Call `flushLogger` before the process exits so no line is lost.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'vestline' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * A logger on the same output without redaction, for lines whose fields are all our own (the
 * per-request line: id, method, route, status, duration). Redaction walks every logged object and
 * was a visible share of a small request's CPU; these lines have nothing to redact.
 */
export function plainLogger(root: Logger): Logger {
  const stream = (root as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  return pino({ level: root.level, base: { service: 'vestline' }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
}

/** Writes out whatever the logger still buffers (before process.exit). */
export function flushLogger(logger: Logger): void {
  try {
    logger.flush();
    const stream = (logger as unknown as Record<symbol, { flushSync?: () => void }>)[pino.symbols.streamSym];
    stream?.flushSync?.();
  } catch {
    // Nothing buffered (or the stream is already closed): nothing to lose.
  }
}
