/**
 * `pharos-spec ext ethereum-state-tests <dir>`: runs Ethereum GeneralStateTests against the EVM
 * model for the Cancun fork and prints pass/fail/skip per directory and every case that did not
 * pass with its reason.
 */
import { stat } from 'node:fs/promises';
import type { CommandSpec, ParsedArgs } from './args.js';
import type { Io } from './commands.js';
import { textTable } from '../conformance/runner/report.js';
import { runStateTestsInWorker } from '../conformance/ethereum/worker.js';

/** @spec EVM-CONF-STATETESTS.1 */
export const ethereumStateTestsCommand: CommandSpec & { readonly run: (args: ParsedArgs, io: Io) => Promise<number> } = {
  name: 'ext ethereum-state-tests',
  summary: 'Run Ethereum GeneralStateTests (Cancun) from a directory against the EVM model; check post state root and logs hash.',
  options: [{ name: 'filter', value: 'text', help: 'only files whose path under the directory contains this text' }],
  positionals: ['dir'],
  run: async (args, io) => {
    const dir = args.positionals[0];
    if (dir === undefined) { io.err('ext ethereum-state-tests: the suite directory is required'); return 2; }
    const st = await stat(dir).catch(() => null);
    if (st === null || !st.isDirectory()) { io.err(`ext ethereum-state-tests: ${dir} is not a directory`); return 2; }
    const report = await runStateTestsInWorker(dir, args.options.get('filter')?.[0]);
    const rows = report.directories.map((d) => [d.directory, d.pass, d.fail, d.skip] as const);
    const total = report.cases.reduce((a, c) => { a[c.verdict]++; return a; }, { pass: 0, fail: 0, skip: 0 });
    io.out(textTable(['directory', 'pass', 'fail', 'skip'], [...rows, ['total', total.pass, total.fail, total.skip]]));
    const bad = report.cases.filter((c) => c.verdict !== 'pass');
    if (bad.length > 0) io.out('');
    for (const c of bad) io.out(`${c.verdict} ${c.file} ${c.name}${c.index >= 0 ? `[${c.index}]` : ''}: ${c.reason}`);
    io.out('');
    io.out(`${total.pass} passed, ${total.fail} failed, ${total.skip} skipped`);
    return total.fail === 0 ? 0 : 1;
  },
};
