// Loads golden stanzas from test/fixtures/stanzas (test code only).
import { readFileSync } from 'node:fs';
import { parseXml, type Element } from './index.ts';

export function fixture(name: string): Element {
  return parseXml(readFileSync(new URL(`../../test/fixtures/stanzas/${name}`, import.meta.url), 'utf8').trim());
}
