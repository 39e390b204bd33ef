import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, formatNs, type Comparison, type ComparisonResult } from './harness.js';
import { encodingComparisons } from './encoding.js';
import { dmirComparisons } from './dmir.js';
import { storeBench } from './store.js';
import { spnComparisons } from './spn.js';
import { pipelineBench } from './pipeline.js';
import { consensusBench } from './consensus.js';
import { evmBench } from './evm.js';
import { textTable } from '../src/conformance/runner/report.js';

/** A workload benchmark that runs itself and returns its JSON result and a table. */
interface CustomBench { readonly run: (args: readonly string[]) => Promise<{ readonly result: unknown; readonly table: string }> }

/** Every benchmarked area with its comparisons or its own runner; `npm run bench -- <area>` runs one. */
const AREAS: Readonly<Record<string, (() => readonly Comparison[]) | CustomBench>> = {
  encoding: encodingComparisons,
  dmir: dmirComparisons,
  store: storeBench,
  spn: spnComparisons,
  pipeline: pipelineBench,
  consensus: consensusBench,
  evm: evmBench,
};

const main = async (): Promise<number> => {
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
    const bench = AREAS[area]!;
    // dist/bench/run.js writes to the source tree's bench/results.
    const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results', `${area}.json`);
    mkdirSync(dirname(out), { recursive: true });
    if (typeof bench !== 'function') {
      const { result, table } = await bench.run(args);
      writeFileSync(out, `${JSON.stringify({ area, v8Flags: process.execArgv, ...(result as object) }, null, 2)}\n`);
      process.stdout.write(`${table}\n(written to bench/results/${area}.json)\n`);
      continue;
    }
    const results: ComparisonResult[] = bench().map((c) => compare(c, options));
    writeFileSync(out, `${JSON.stringify({ area, node: process.version, v8Flags: process.execArgv, rounds: options.rounds, roundMs: options.roundMs, results }, null, 2)}\n`);
    process.stdout.write(`${textTable(
      ['comparison', 'ours', 'median', 'peer', 'median', 'ours/peer', 'ours min..max'],
      results.map((r) => [r.name, r.ours.name, formatNs(r.ours.medianNs), r.peer.name, formatNs(r.peer.medianNs), r.ratio.toFixed(2), `${formatNs(r.ours.minNs)}..${formatNs(r.ours.maxNs)}`]),
    )}\n(${options.rounds} interleaved rounds per side; written to bench/results/${area}.json)\n`);
  }
  return 0;
};

process.exitCode = await main();
