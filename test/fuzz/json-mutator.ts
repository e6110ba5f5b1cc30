/**
 * Mutations of JSON values for the bridge-channel fuzzer: real messages with fields dropped,
 * retyped, replaced by huge or deeply nested values, class names recased or invented, plus
 * outright garbage text. Every case is a string ready to send as one WebSocket text frame.
 */
import type { Prng } from './prng.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `depth` levels of `[` or `{"a":` around a leaf, as text (JSON.stringify itself would overflow). */
export function deepJson(depth: number, kind: 'array' | 'object' | 'mixed', rnd?: Prng): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    const obj = kind === 'object' || (kind === 'mixed' && (rnd ? rnd.chance(0.5) : i % 2 === 0));
    open += obj ? '{"a":' : '[';
    close = (obj ? '}' : ']') + close;
  }
  return `${open}1${close}`;
}

function weird(rnd: Prng): Json {
  return rnd.pick<() => Json>([
    () => null, () => true, () => -1, () => 0, () => 1e308, () => -0.5, () => 2 ** 53 + 1,
    () => '', () => rnd.string(rnd.int(1, 40)), () => 'x'.repeat(rnd.int(1000, 30_000)),
    () => [], () => ({}), () => Array.from({ length: rnd.int(1000, 8000) }, (_, i) => i),
    () => Object.fromEntries(Array.from({ length: rnd.int(500, 3000) }, (_, i) => [`k${i}`, i])),
    () => ({ maxHeight: 'tall' }), () => [null, null], () => ({ __proto__: { polluted: true } } as unknown as Json),
  ])();
}

function mutateValue(rnd: Prng, v: Json, depth = 0): Json {
  if (depth > 4 || rnd.chance(0.25)) return weird(rnd);
  if (Array.isArray(v)) {
    const copy = v.map((x) => (rnd.chance(0.3) ? mutateValue(rnd, x, depth + 1) : x));
    if (rnd.chance(0.2)) copy.push(weird(rnd));
    return copy;
  }
  if (v !== null && typeof v === 'object') {
    const copy: Record<string, Json> = { ...v };
    for (const k of Object.keys(copy)) {
      if (rnd.chance(0.2)) delete copy[k];
      else if (rnd.chance(0.3)) copy[k] = mutateValue(rnd, copy[k]!, depth + 1);
    }
    if (rnd.chance(0.2)) copy[rnd.pick(['to', 'from', 'lastN', 'constraints', 'msgPayload', 'colibriClass', '__proto__', rnd.string(5)])] = weird(rnd);
    return copy;
  }
  return weird(rnd);
}

const CLASSES = [
  'EndpointMessage', 'EndpointStats', 'ReceiverVideoConstraints', 'ReceiverVideoConstraint', 'LastNChangedEvent', 'ClientHello',
  'SourceVideoTypeMessage', 'ReceiverAudioSubscription', 'ServerHello', 'ForwardedSources', 'endpointmessage', 'RECEIVERVIDEOCONSTRAINTS',
];

/** One fuzz case: the message text and what kind of mutation produced it (for the report). */
export interface FuzzCase { kind: string; text: string }

/** `to` for EndpointMessages: broadcast, a control endpoint, or nobody. */
export function bridgeCase(rnd: Prng, seeds: readonly Record<string, Json>[], targets: readonly string[]): FuzzCase {
  const base = rnd.pick(seeds);
  switch (rnd.int(0, 9)) {
    case 0: {
      const depth = rnd.int(10, 15_000);
      return { kind: `EndpointMessage msgPayload nested ${depth}`, text: `{"colibriClass":"EndpointMessage","to":${JSON.stringify(rnd.pick(targets))},"msgPayload":${deepJson(depth, rnd.pick(['array', 'object', 'mixed'] as const), rnd)}}` };
    }
    case 1: {
      const depth = rnd.int(10, 15_000);
      return { kind: `EndpointStats nested ${depth}`, text: `{"colibriClass":"EndpointStats","x":${deepJson(depth, 'mixed', rnd)}}` };
    }
    case 2: {
      const depth = rnd.int(10, 20_000);
      return { kind: `ReceiverVideoConstraints constraints nested ${depth}`, text: `{"colibriClass":"ReceiverVideoConstraints","constraints":${deepJson(depth, 'object')}}` };
    }
    case 3:
      return { kind: 'garbage text', text: rnd.pick(['', 'null', '[]', '"x"', '{', '{"colibriClass":', rnd.string(rnd.int(1, 200), '{}[]":,0123456789abc \\'), '{"colibriClass":"EndpointMessage"'.repeat(rnd.int(1, 500))]) };
    case 4:
      return { kind: 'unknown or recased class', text: JSON.stringify({ ...base, colibriClass: rnd.chance(0.5) ? rnd.pick(CLASSES) : rnd.string(8) }) };
    case 5: {
      const n = rnd.int(1000, 6000);
      return { kind: `huge array ${n}`, text: JSON.stringify({ colibriClass: rnd.pick(['ReceiverVideoConstraints', 'ReceiverAudioSubscription', 'EndpointMessage']), to: '', selectedSources: Array.from({ length: n }, (_, i) => `s${i}`), include: Array.from({ length: n }, () => 1), msgPayload: Array.from({ length: n }, (_, i) => i) }) };
    }
    case 6: {
      const n = rnd.int(500, 3000);
      return { kind: `many constraint keys ${n}`, text: JSON.stringify({ colibriClass: 'ReceiverVideoConstraints', constraints: Object.fromEntries(Array.from({ length: n }, (_, i) => [`ep${i}-v0`, { maxHeight: i }])) }) };
    }
    default:
      return { kind: `mutated ${String(base.colibriClass)}`, text: JSON.stringify(mutateValue(rnd, base as Json)) };
  }
}
