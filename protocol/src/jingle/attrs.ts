/**
 * Strict attribute readers for the Jingle and Colibri2 parsers: every malformed value becomes
 * `AppError('bad-request')` naming the element and attribute.
 * @module
 */
// Internal: not exported from the package entry.
import { AppError } from '../errors.ts';
import type { Element } from '../xml/element.ts';

export function optStr(el: Element, name: string): string | undefined {
  const v = el.attrs[name];
  return v === undefined || v === null ? undefined : String(v);
}

export function reqStr(el: Element, name: string): string {
  const v = optStr(el, name);
  if (v === undefined || v === '') throw new AppError('bad-request', `<${el.name}> needs ${name}`);
  return v;
}

export function optInt(el: Element, name: string, min = 0, max = 0xffffffff): number | undefined {
  const v = optStr(el, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,10}$/.test(v)) throw new AppError('bad-request', `<${el.name}> ${name} must be an integer`);
  const n = Number(v);
  if (n < min || n > max) throw new AppError('bad-request', `<${el.name}> ${name} must be from ${min} to ${max}`);
  return n;
}

export function reqInt(el: Element, name: string, min = 0, max = 0xffffffff): number {
  const n = optInt(el, name, min, max);
  if (n === undefined) throw new AppError('bad-request', `<${el.name}> needs ${name}`);
  return n;
}

export function optBool(el: Element, name: string): boolean | undefined {
  const v = optStr(el, name);
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new AppError('bad-request', `<${el.name}> ${name} must be true or false`);
}

/** Child elements, optionally only those named `name` in namespace `ns` (inherited namespaces count). */
export function children(el: Element, name?: string, ns?: string): Element[] {
  return el.children.filter((c): c is Element => typeof c !== 'string' && (name === undefined || c.name === name)
    && (ns === undefined || (c.attrs.xmlns ?? inheritedNs(el)) === ns));
}

function inheritedNs(el: Element): string | undefined {
  for (let e: Element | null = el; e; e = e.parent as Element | null) if (typeof e.attrs.xmlns === 'string') return e.attrs.xmlns;
  return undefined;
}
