/**
 * The import graph of the TypeScript packages has no cycles: dependencies point one way inside a
 * package as they do between packages (style guide §2.1). Type-only imports count too: a cycle of
 * types is still two modules that cannot be understood (or moved) one without the other.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PACKAGES = ['protocol/src', 'focus/src', 'edge/src', 'edge/web/src', 'media-node/src'];
/** Workspace packages, resolved to their entry points. */
const ALIASES: Record<string, string> = {
  '@edgemeet/protocol': 'protocol/src/index.ts',
  '@edgemeet/focus': 'focus/src/index.ts',
};

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** `import … from 'x'`, `export … from 'x'`, `import('x')` (comments are stripped first). */
const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    const target = ALIASES[spec] !== undefined ? join(ROOT, ALIASES[spec]) : spec.startsWith('.') ? resolve(dirname(file), spec) : null;
    if (target !== null) out.push(target);
  }
  return out;
}

/** Every cycle's members, as repository paths (Tarjan's strongly connected components). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(relative(ROOT, w));
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

describe('import graph', () => {
  const graph = new Map<string, string[]>();
  for (const pkg of PACKAGES) for (const file of sources(join(ROOT, pkg))) graph.set(file, importsOf(file));

  it('cycles() finds a two-module cycle and ignores a chain', () => {
    expect(cycles(new Map([[join(ROOT, 'a'), [join(ROOT, 'b')]], [join(ROOT, 'b'), [join(ROOT, 'a')]], [join(ROOT, 'c'), [join(ROOT, 'a')]]])))
      .toEqual([['a', 'b']]);
  });

  it('sees the imports of the packages (the scan is not vacuous)', () => {
    expect(graph.size).toBeGreaterThan(80);
    expect(graph.get(join(ROOT, 'edge/src/room/room-do.ts'))).toContain(join(ROOT, 'edge/src/room/xmpp-server.ts'));
    expect(graph.get(join(ROOT, 'focus/src/index.ts'))).toContain(join(ROOT, 'focus/src/focus-component.ts'));
  });

  it(`${PACKAGES.join(', ')} have no import cycles`, () => {
    expect(cycles(graph)).toEqual([]);
  });
});
