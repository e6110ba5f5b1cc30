#!/usr/bin/env node
/**
 * Longer fuzzing runs than `npm test` does: `npm run fuzz -- --target bridge-channel|xmpp
 * [--seed N] [--cases N]`. Prints the seed first (replay a finding with it), every finding, and
 * exits 1 if there was any.
 */
import { parseArgs } from 'node:util';
import { fuzzBridgeChannel } from '../test/fuzz/bridge-channel-fuzzer.ts';
import { fuzzXmpp } from '../test/fuzz/xmpp-fuzzer.ts';
import { seedFrom } from '../test/fuzz/prng.ts';

const { values } = parseArgs({ options: { target: { type: 'string', default: 'bridge-channel' }, seed: { type: 'string' }, cases: { type: 'string', default: '2000' } } });
const seed = seedFrom(values.seed);
const cases = Number(values.cases);
console.log(`fuzz ${values.target}: seed ${seed}, ${cases} cases`);
const log = (line: string) => console.log(line);
let report;
if (values.target === 'bridge-channel') report = await fuzzBridgeChannel({ seed, cases, log });
else if (values.target === 'xmpp') report = await fuzzXmpp({ seed, cases, log });
else {
  console.error(`unknown --target ${values.target}`);
  process.exit(2);
}
console.log(JSON.stringify(report, null, 2));
process.exit(report.findings.length > 0 ? 1 : 0);
