import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, formatNs, type Comparison, type ComparisonResult } from './harness.js';
import { encodingComparisons } from './encoding.js';
import { textTable } from '../src/conformance/runner/report.js';

/** Every benchmarked area with its comparisons; `npm run bench -- <area>` runs one. */
const AREAS: Readonly<Record<string, () => readonly Comparison[]>> = {
  encoding: encodingComparisons,
};

const main = (): number => {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !(n in AREAS));
  if (unknown.length > 0 || names.length === 0) {
    process.stderr.write(`Bench.UNKNOWN_AREA: ${unknown.length ? `unknown area ${unknown.join(', ')}; ` : ''}usage: npm run bench -- <${Object.keys(AREAS).join('|')}> [--quick]\n`);
    return 2;
  }
  const options = quick ? { rounds: 5, roundMs: 20 } : { rounds: 15, roundMs: 150 };
  for (const area of names) {
    const results: ComparisonResult[] = AREAS[area]!().map((c) => compare(c, options));
    const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results', `${area}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify({ area, node: process.version, rounds: options.rounds, roundMs: options.roundMs, results }, null, 2)}\n`);
    process.stdout.write(`${textTable(
      ['comparison', 'ours', 'median', 'peer', 'median', 'ours/peer', 'ours min..max'],
      results.map((r) => [r.name, r.ours.name, formatNs(r.ours.medianNs), r.peer.name, formatNs(r.peer.medianNs), r.ratio.toFixed(2), `${formatNs(r.ours.minNs)}..${formatNs(r.ours.maxNs)}`]),
    )}\n(${options.rounds} interleaved rounds per side; written to bench/results/${area}.json)\n`);
  }
  return 0;
};

process.exitCode = main();
