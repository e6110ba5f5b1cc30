/**
 * The media node's one logger interface: JSON lines (journald-friendly), context in child loggers.
 * Every module of the node takes a {@link Logger} (or the part of it it uses).
 * @module
 */
import type { Logger } from '@edgemeet/protocol';
import type { LogLevel } from './config.ts';

export type { Logger } from '@edgemeet/protocol';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(level: LogLevel, context: Record<string, unknown> = {}): Logger {
  const write = (l: LogLevel, event: string, fields?: Record<string, unknown>) => {
    if (RANK[l] < RANK[level]) return;
    const err = fields?.err instanceof Error ? { err: { name: fields.err.name, message: fields.err.message } } : {};
    process.stdout.write(`${JSON.stringify({ level: l, event, time: new Date().toISOString(), ...context, ...fields, ...err })}\n`);
  };
  return {
    debug: (e, f) => write('debug', e, f), info: (e, f) => write('info', e, f),
    warn: (e, f) => write('warn', e, f), error: (e, f) => write('error', e, f),
    child: (c) => createLogger(level, { ...context, ...c }),
  };
}
