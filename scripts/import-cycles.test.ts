/**
 * No import cycles inside a package: a small walker over the relative `import`/`export … from`
 * statements (type-only imports included: a cycle of types is still two modules that cannot be
 * understood apart) of each package's sources, and Tarjan's strongly connected components.
 * @module
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const PACKAGES = ['media-node/src', 'protocol/src', 'focus/src', 'edge/src'] as const;

/**
 * Cycles tolerated for now, as sorted member lists: none since issue 12. One that no longer exists
 * fails the test too, so that the list only ever shrinks: delete its line.
 */
const KNOWN_CYCLES: readonly string[] = [];

/** `from '…'` of static imports and re-exports, and `import('…')`; comments stripped first. */
const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.m?ts$/.test(name) && !name.endsWith('.d.ts') && !name.endsWith('.d.mts')) out.push(path);
  }
  return out;
}

/** Module → the modules of the same package it imports. */
export function importGraph(dir: string): Map<string, string[]> {
  const files = new Set(sourceFiles(dir));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const deps = new Set<string>();
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (files.has(target)) deps.add(target);
      else if (files.has(`${target}.ts`)) deps.add(`${target}.ts`);
    }
    graph.set(file, [...deps]);
  }
  return graph;
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) !== indices.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) out.push(component);
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return out;
}

describe('import graph', () => {
  it('cycles() finds a two-module cycle and a self-import, and nothing in a chain', () => {
    const g = new Map([['a', ['b']], ['b', ['a', 'c']], ['c', []], ['d', ['d']]]);
    expect(cycles(g).map((c) => c.sort())).toEqual([['a', 'b'], ['d']]);
  });

  it('importGraph() reads this package\'s own imports (a walker that reads nothing finds no cycles)', () => {
    const graph = importGraph(join(root, 'media-node/src'));
    expect(graph.get(join(root, 'media-node/src/media-node.ts'))).toContain(join(root, 'media-node/src/faults.ts'));
  });

  it(`has no cycles in ${PACKAGES.join(', ')} beyond the known ones`, () => {
    const found = PACKAGES.flatMap((pkg) => cycles(importGraph(join(root, pkg))))
      .map((c) => c.map((f) => relative(root, f)).sort().join(' ↔ '));
    expect(found.filter((c) => !KNOWN_CYCLES.includes(c)), 'new import cycles').toEqual([]);
    expect(KNOWN_CYCLES.filter((c) => !found.includes(c)), 'known cycles that are gone: delete them from KNOWN_CYCLES').toEqual([]);
  });
});
