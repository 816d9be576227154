/**
 * The logging port every shardex lib accepts: the pino-compatible subset (`log.warn({ ...context }, 'message')`).
 * Libs take a logger rather than create one, so the app decides where logs go; tests pass a silent or recording one.
 */
export interface Logger {
  debug?(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Discards everything: the default where a lib logs nothing unless given a logger. */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
