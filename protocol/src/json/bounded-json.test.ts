import { describe, expect, it } from 'vitest';
import { DEFAULT_JSON_LIMITS, JsonLimitError, checkJsonLimits, parseBoundedJson, type JsonLimits } from './bounded-json.ts';

const limitOf = (text: string, limits?: JsonLimits): string | null => {
  try {
    checkJsonLimits(text, limits);
    return null;
  } catch (err) {
    if (err instanceof JsonLimitError) return err.limit;
    throw err;
  }
};
const small: JsonLimits = { maxChars: 1000, maxDepth: 3, maxEntries: 4, maxTotalEntries: 6, maxStringChars: 10 };

describe('bounded JSON', () => {
  it('parseBoundedJson() parses ordinary messages as JSON.parse does', () => {
    const text = '{"colibriClass":"EndpointMessage","to":"","msgPayload":{"type":"e2e-ping-request","id":1,"list":[1,2,[3,{}]],"s":"a\\"]}"}}';
    expect(parseBoundedJson(text)).toEqual(JSON.parse(text));
    expect(parseBoundedJson('[]', small)).toEqual([]);
    expect(parseBoundedJson('{"a":{"b":[1]}}', small)).toEqual({ a: { b: [1] } });
  });

  it('checkJsonLimits() refuses the 12,000-deep payload that used to crash the node, whatever the brackets', () => {
    const depth = 12_000;
    expect(limitOf(`{"colibriClass":"EndpointMessage","to":"","msgPayload":${'['.repeat(depth)}1${']'.repeat(depth)}}`)).toBe('maxDepth');
    expect(limitOf(`{"colibriClass":"EndpointMessage","to":"","msgPayload":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`)).toBe('maxDepth');
    expect(limitOf('['.repeat(depth) + ']'.repeat(depth))).toBe('maxDepth');
    expect(limitOf('['.repeat(DEFAULT_JSON_LIMITS.maxDepth) + ']'.repeat(DEFAULT_JSON_LIMITS.maxDepth))).toBeNull();
    expect(limitOf('['.repeat(DEFAULT_JSON_LIMITS.maxDepth + 1))).toBe('maxDepth');
  });

  it('checkJsonLimits() does not count brackets, commas or quotes inside strings', () => {
    expect(limitOf('{"a":"[[[[[[,,,,,,,,\\"[[[["}', { ...small, maxStringChars: 100 })).toBeNull();
    expect(limitOf('["\\\\",[[["x"]]]]', small)).toBe('maxDepth');
  });

  it('checkJsonLimits() bounds entries per container, entries in all, strings and length', () => {
    expect(limitOf('[1,2,3,4]', small)).toBeNull();
    expect(limitOf('[1,2,3,4,5]', small)).toBe('maxEntries');
    expect(limitOf('{"a":1,"b":2,"c":3,"d":4,"e":5}', small)).toBe('maxEntries');
    expect(limitOf('[[1,2,3],[4,5,6],[7]]', small)).toBe('maxTotalEntries');
    expect(limitOf('["0123456789"]', small)).toBeNull();
    expect(limitOf('["01234567890"]', small)).toBe('maxStringChars');
    expect(limitOf('{"01234567890":1}', small)).toBe('maxStringChars');
    expect(limitOf(' '.repeat(1001), small)).toBe('maxChars');
  });

  it('parseBoundedJson() refuses what is not JSON as bad-request', () => {
    for (const text of ['', '{', 'nope', '[1,]', '"unterminated']) {
      expect(() => parseBoundedJson(text)).toThrow(expect.objectContaining({ code: 'bad-request' }));
    }
  });
});
