/**
 * A strict parser of the Prometheus text exposition format (0.0.4) for tests: every line is a
 * `# HELP`, a `# TYPE` or a sample; a family's HELP and TYPE come once, before its samples, which
 * are contiguous; names and label names match the format's patterns; label values use only the
 * `\\`, `\"` and `\n` escapes; values are floats (or NaN, ±Inf); a counter's samples are never
 * negative; no sample (name + labels) appears twice; the text ends with a newline. Anything else
 * throws with the line number.
 */
export interface MetricSample { labels: Record<string, string>; value: number }
export interface MetricFamily { name: string; type: 'counter' | 'gauge' | 'untyped' | 'summary' | 'histogram'; help: string; samples: MetricSample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'untyped', 'summary', 'histogram']);

function parseValue(s: string, line: number): number {
  if (s === 'NaN') return NaN;
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`line ${line}: bad value ${JSON.stringify(s)}`);
  return Number(s);
}

function parseLabels(s: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without =`);
    const name = s.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`);
    if (s[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let v = '';
    let j = eq + 2;
    for (;; j++) {
      const c = s[j];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const n = s[++j];
        if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else if (n === 'n') v += '\n';
        else throw new Error(`line ${line}: bad escape \\${n}`);
      } else if (c === '\n') {
        throw new Error(`line ${line}: raw newline in a label value`);
      } else {
        v += c;
      }
    }
    labels[name] = v;
    i = j + 1;
    if (i < s.length) {
      if (s[i] !== ',') throw new Error(`line ${line}: expected , between labels`);
      i++;
    }
  }
  return labels;
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const families = new Map<string, MetricFamily>();
  const seenSamples = new Set<string>();
  let current: MetricFamily | null = null;
  const closed = new Set<string>();
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(raw);
      if (!m) throw new Error(`line ${line}: a comment other than HELP/TYPE: ${JSON.stringify(raw)}`);
      const [, kind, name, rest] = m as unknown as [string, 'HELP' | 'TYPE', string, string];
      if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
      if (closed.has(name)) throw new Error(`line ${line}: ${name} comes back after other families`);
      if (current && current.name !== name) { closed.add(current.name); current = null; }
      let f = families.get(name);
      if (!f) {
        f = { name, type: 'untyped', help: '', samples: [] };
        families.set(name, f);
      }
      const flags = f as MetricFamily & { _help?: boolean; _type?: boolean };
      if (f.samples.length > 0) throw new Error(`line ${line}: ${kind} for ${name} after its samples`);
      if (kind === 'HELP') {
        if (flags._help) throw new Error(`line ${line}: HELP for ${name} twice`);
        flags._help = true;
        f.help = rest;
      } else {
        if (flags._type) throw new Error(`line ${line}: TYPE for ${name} twice`);
        if (!TYPES.has(rest)) throw new Error(`line ${line}: unknown type ${rest}`);
        flags._type = true;
        f.type = rest as MetricFamily['type'];
      }
      current = f;
      return;
    }
    if (raw.trim() === '') throw new Error(`line ${line}: empty line`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(raw);
    if (!m) throw new Error(`line ${line}: not a sample: ${JSON.stringify(raw)}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    const f = families.get(name);
    if (!f || current !== f) throw new Error(`line ${line}: sample of ${name} outside its family (TYPE/HELP first, samples together)`);
    const labels = labelText ? parseLabels(labelText, line) : {};
    const value = parseValue(valueText, line);
    if (f.type === 'counter' && !(value >= 0)) throw new Error(`line ${line}: counter ${name} is ${value}`);
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (seenSamples.has(key)) throw new Error(`line ${line}: ${key} twice`);
    seenSamples.add(key);
    f.samples.push({ labels, value });
  });
  for (const f of families.values()) {
    const flags = f as MetricFamily & { _help?: boolean; _type?: boolean };
    delete flags._help;
    delete flags._type;
  }
  return families;
}

/** The value of `name` whose labels include `labels`; throws if there is none or more than one. */
export function metricValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  const f = families.get(name);
  if (!f) throw new Error(`no metric ${name}`);
  const hits = f.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length !== 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return hits[0]!.value;
}
