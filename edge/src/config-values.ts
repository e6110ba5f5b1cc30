/**
 * Small readers for raw Worker vars, shared by the config parsers (config.ts, config-auth.ts):
 * each reads one key, applies its documented default and records a problem instead of throwing,
 * so one error can name every bad key.
 * @module
 */
// Internal: not exported from the package entry.

export type Raw = Record<string, unknown>;

export class ConfigProblems {
  readonly problems: string[] = [];
  add(key: string, message: string): void {
    this.problems.push(`${key}: ${message}`);
  }
}

/** The trimmed value of `key`, or undefined when unset or empty. */
export function str(raw: Raw, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null || v === '') return undefined;
  return String(v).trim();
}

export function intOf(raw: Raw, key: string, fallback: number, min: number, max: number, p: ConfigProblems): number {
  const s = str(raw, key);
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) {
    p.add(key, `expected an integer from ${min} to ${max}, got ${JSON.stringify(s)}`);
    return fallback;
  }
  return n;
}

export function boolOf(raw: Raw, key: string, fallback: boolean, p: ConfigProblems): boolean {
  const s = str(raw, key);
  if (s === undefined) return fallback;
  if (s !== 'true' && s !== 'false') p.add(key, 'expected true or false');
  return s === 'true';
}

/** Comma-separated list, trimmed, empty items dropped. */
export function listOf(raw: Raw, key: string, fallback: readonly string[]): readonly string[] {
  const s = str(raw, key);
  if (s === undefined) return Object.freeze([...fallback]);
  return Object.freeze(s.split(',').map((v) => v.trim()).filter((v) => v.length > 0));
}

/** Loopback hosts may be reached over plain http (development, tests); everything else needs https. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** An https URL (http only for loopback hosts). */
export function urlOf(raw: Raw, key: string, p: ConfigProblems): URL | undefined {
  const s = str(raw, key);
  if (s === undefined) return undefined;
  return checkedUrl(s, key, p);
}

export function checkedUrl(s: string, key: string, p: ConfigProblems): URL | undefined {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    p.add(key, `not a URL: ${JSON.stringify(s)}`);
    return undefined;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    p.add(key, `expected an https:// URL (http:// only on loopback), got ${JSON.stringify(s)}`);
    return undefined;
  }
  return url;
}
