/**
 * JSON from untrusted peers, bounded before any work is done on it. `JSON.parse` itself copes with
 * deep nesting, but everything after it that walks the value recursively (`JSON.stringify` for a
 * relay, structured clone, spreads) overflows the stack on a 25 KB message nested 12,000 deep,
 * and a huge array or object costs time and memory everywhere it goes. So one linear scan of the
 * text checks nesting depth, entries per array/object, entries in all, and string lengths, and
 * only then does `JSON.parse` run.
 * @module
 */
import { AppError } from '../errors.ts';

export interface JsonLimits {
  /** Longest accepted text, in UTF-16 code units. */
  readonly maxChars: number;
  /** Deepest nesting of arrays and objects (a scalar at the top is depth 0). */
  readonly maxDepth: number;
  /** Most entries (array elements or object members) in one array or object. */
  readonly maxEntries: number;
  /** Most entries in all arrays and objects together. */
  readonly maxTotalEntries: number;
  /** Longest string (key or value), in characters of its JSON text (escapes included). */
  readonly maxStringChars: number;
}

/** Limits for generic JSON messages between clients (bridge channel, XMPP `json-message`). */
export const DEFAULT_JSON_LIMITS: JsonLimits = Object.freeze({
  maxChars: 65_536, maxDepth: 32, maxEntries: 1024, maxTotalEntries: 8192, maxStringChars: 16_384,
});

/** The JSON was well within reach of the parser but over one of the {@link JsonLimits}. */
export class JsonLimitError extends AppError {
  override readonly name = 'JsonLimitError';
  readonly limit: keyof JsonLimits;

  constructor(limit: keyof JsonLimits, message: string) {
    super('bad-request', message);
    this.limit = limit;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Throws {@link JsonLimitError} if `text` is over `limits`. It does not validate the syntax (the
 * parser after it does); it only bounds what the parser and everything after it would have to do.
 * Linear in the text, with a fixed amount of state per nesting level (at most `maxDepth`).
 */
export function checkJsonLimits(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): void {
  if (text.length > limits.maxChars) throw new JsonLimitError('maxChars', `JSON longer than ${limits.maxChars} characters`);
  // entries[d]: separators seen in the container at depth d; empty[d]: nothing in it yet.
  const entries: number[] = [];
  const empty: boolean[] = [];
  let depth = 0;
  let total = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
      if (i - start - 1 > limits.maxStringChars) throw new JsonLimitError('maxStringChars', `JSON string longer than ${limits.maxStringChars} characters`);
      if (depth > 0) empty[depth] = false;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth > 0) empty[depth] = false;
      depth += 1;
      if (depth > limits.maxDepth) throw new JsonLimitError('maxDepth', `JSON nested deeper than ${limits.maxDepth}`);
      entries[depth] = 0;
      empty[depth] = true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth > 0) {
        if (!empty[depth]) total += 1;
        depth -= 1;
      }
    } else if (c === COMMA) {
      if (depth > 0) {
        total += 1;
        entries[depth] = entries[depth]! + 1;
        if (entries[depth]! + 1 > limits.maxEntries) throw new JsonLimitError('maxEntries', `JSON array or object with more than ${limits.maxEntries} entries`);
      }
    } else if (c !== SPACE && c !== TAB && c !== LF && c !== CR && depth > 0) {
      empty[depth] = false;
    }
    if (total > limits.maxTotalEntries) throw new JsonLimitError('maxTotalEntries', `JSON with more than ${limits.maxTotalEntries} entries in all`);
  }
}

/**
 * `JSON.parse` behind {@link checkJsonLimits}: throws {@link JsonLimitError} over the limits and
 * `AppError('bad-request')` for text that is not JSON.
 *
 * @example
 * parseBoundedJson('{"type":"hello"}'); // { type: 'hello' }
 * parseBoundedJson('['.repeat(100) + ']'.repeat(100)); // throws JsonLimitError (maxDepth)
 */
export function parseBoundedJson(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): unknown {
  checkJsonLimits(text, limits);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('bad-request', 'not JSON');
  }
}
