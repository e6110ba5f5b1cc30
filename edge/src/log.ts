/**
 * Structured JSON-line logger for the edge (Workers Logs). Context goes into child loggers,
 * event names are `noun.verb`.
 * @module
 */
import type { LogFields, Logger } from '@edgemeet/protocol';
import type { LogLevel } from './config.ts';

export type { LogFields, Logger } from '@edgemeet/protocol';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function errorFields(fields: LogFields | undefined): LogFields | undefined {
  if (!fields) return fields;
  let out: LogFields | undefined;
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) {
      out ??= { ...fields };
      out[k] = { name: v.name, message: v.message, stack: v.stack };
    }
  }
  return out ?? fields;
}

class JsonLogger implements Logger {
  readonly #level: number;
  readonly #context: LogFields;
  readonly #levelName: LogLevel;
  constructor(level: LogLevel, context: LogFields) {
    this.#levelName = level;
    this.#level = RANK[level];
    this.#context = context;
  }
  #write(level: LogLevel, event: string, fields?: LogFields): void {
    if (RANK[level] < this.#level) return;
    const line = JSON.stringify({ level, event, time: new Date().toISOString(), ...this.#context, ...errorFields(fields) });
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  }
  debug(event: string, fields?: LogFields): void { this.#write('debug', event, fields); }
  info(event: string, fields?: LogFields): void { this.#write('info', event, fields); }
  warn(event: string, fields?: LogFields): void { this.#write('warn', event, fields); }
  error(event: string, fields?: LogFields): void { this.#write('error', event, fields); }
  child(context: LogFields): Logger {
    return new JsonLogger(this.#levelName, { ...this.#context, ...context });
  }
}

/** Creates the root logger for a namespace, e.g. `createLogger('info', { ns: 'edge:room' })`. */
export function createLogger(level: LogLevel, context: LogFields = {}): Logger {
  return new JsonLogger(level, context);
}
