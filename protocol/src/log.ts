/**
 * The one logger interface of every package (style guide §2.5): structured events named
 * `noun.verb`, context in child loggers. Each runtime supplies its own implementation (JSON lines
 * to Workers Logs on the edge, to stdout on the media node); the focus gets its host's.
 * @module
 */

export type LogFields = Record<string, unknown>;

/**
 * @example
 * const log = root.child({ room: 'r1' });
 * log.info('occupant.joined', { nick, occupants: 2 });
 */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(context: LogFields): Logger;
}
