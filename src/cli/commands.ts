import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type CommandSpec, type ParsedArgs, intOption, parseArgs, usage } from './args.js';
import { packageRoot } from './root.js';
import { allKinds, AREAS, kindByName } from '../conformance/kinds/index.js';
import { generateVectorTree } from '../conformance/vectors/generate.js';
import { formatProblem, loadVectorPaths, type LoadResult } from '../conformance/vectors/load.js';
import { builtinClient, ClientStartError, processClient, type Client } from '../conformance/runner/client.js';
import { readSkipFile, runSuites, type RunReport, type SkipRule } from '../conformance/runner/run.js';
import { formatRunTable, reportToJUnit, reportToJson, textTable } from '../conformance/runner/report.js';
import { SPEC_VERSION } from '../conformance/version.js';
import { checkVectorTree } from '../conformance/vectors/check.js';
import { runModelChecks, type ModelCheckResult } from '../conformance/model-checks.js';
import { runTraceValidation } from '../conformance/tla/trace-validation.js';
import { buildTraceMatrix, formatTraceMatrix, traceMatrixToJson } from '../conformance/trace/index.js';
import { runWasmCommand } from './run-wasm.js';
import { runEvmCommand } from './run-evm.js';
import { ethereumStateTestsCommand } from './ext-ethereum.js';

export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Exit codes: 0 success, 1 a check failed, 2 the command line was wrong. @spec CLI-EXIT-CODES.1 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const vectorsOption = { name: 'vectors', value: 'path', repeatable: true, help: 'vector file or directory (default: the vectors/ of this package)' } as const;
const kindOption = { name: 'kind', value: 'kind', repeatable: true, help: 'only suites of this kind (e.g. encoding/digest)' } as const;

const COMMANDS: readonly (CommandSpec & { readonly run: (args: ParsedArgs, io: Io) => Promise<number> })[] = [
  runWasmCommand,
  runEvmCommand,
  ethereumStateTestsCommand,
  {
    name: 'verify',
    summary: 'Run every vector against the built-in implementation, run the model checks, and print a summary per area.',
    options: [vectorsOption],
    run: verify,
  },
  {
    name: 'conform',
    summary: 'Run vectors against a client: "model", "impl", or a command speaking the JSON Lines client protocol.',
    options: [
      { name: 'client', value: 'model|impl|command', help: 'the client to test (required)' },
      vectorsOption,
      kindOption,
      { name: 'timeout', value: 'ms', help: 'per-case timeout in milliseconds (default 10000)' },
      { name: 'skip', value: 'file', help: 'skip file: {"skip": [{"id": "<kind>/<suite>/<case>", "reason": "..."}]}, * matches anything' },
      { name: 'report', value: 'file', help: 'write the full report as JSON' },
      { name: 'junit', value: 'file', help: 'write the report as JUnit XML' },
    ],
    run: conform,
  },
  {
    name: 'vectors generate',
    summary: 'Regenerate the vectors, schemas, index and vectors/README.md from the model.',
    options: [{ name: 'out', value: 'dir', help: 'output directory (default: the vectors/ of this package)' }, { name: 'check', help: 'write nothing; fail if the directory differs from what generation gives' }],
    run: vectorsGenerate,
  },
  {
    name: 'vectors validate',
    summary: 'Validate vector files: strict JSON, header and case schema, ids, case hashes, inputs, outputs and error codes per kind.',
    options: [],
    positionals: ['path...'],
    run: vectorsValidate,
  },
  {
    name: 'vectors list',
    summary: 'List the kinds and suites with their case counts.',
    options: [vectorsOption, kindOption],
    run: vectorsList,
  },
  {
    name: 'check tla',
    summary: 'Model-check every spec/tla/MC_*.cfg (TLC when TLA2TOOLS_JAR is set, else tla-checker) and compare with spec/tla/expected.json.',
    options: [{ name: 'jar', value: 'path', help: 'tla2tools.jar to use instead of $TLA2TOOLS_JAR' }],
    run: (args, io) => modelChecks(args, io, ['tla']),
  },
  {
    name: 'check explore',
    summary: 'Exhaustively explore the TS model state machines and compare their distinct-state counts with the TLA+ twins.',
    options: [],
    run: (args, io) => modelChecks(args, io, ['explore']),
  },
  {
    name: 'check trace',
    summary: 'Validate seeded runs of the TS consensus model against the next-state relation of spec/tla/MyBA.tla.',
    options: [{ name: 'runs', value: 'n', help: 'number of random runs (default 20)' }, { name: 'seed', value: 'n', help: 'seed of the runs (default 20261127)' }],
    run: checkTrace,
  },
  {
    name: 'trace',
    summary: 'Print the requirement traceability matrix; fail on references to undefined requirement IDs.',
    options: [{ name: 'json', help: 'print the matrix as JSON' }],
    run: trace,
  },
];

const HELP = (): string => [
  `pharos-spec ${SPEC_VERSION}: the executable specification of the Pharos L1 protocol.`,
  '',
  ...COMMANDS.map((c) => usage(c)),
].join('\n\n');

/**
 * Runs one command line and returns the exit code. Never throws for bad input: every problem is
 * printed with its stable code. @spec CLI-ARGS-STRICT.1 CLI-EXIT-CODES.1
 */
export const runCli = async (argv: readonly string[], io: Io): Promise<number> => {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    io.out(HELP());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  if (argv[0] === '--version') {
    io.out(SPEC_VERSION);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === argv.slice(0, c.name.split(' ').length).join(' '));
  if (command === undefined) {
    const names = COMMANDS.map((c) => c.name).join(', ');
    io.err(`Cli.UNKNOWN_COMMAND: unknown command ${JSON.stringify(argv.slice(0, 2).join(' '))}; commands: ${names}`);
    return EXIT.usage;
  }
  const rest = argv.slice(command.name.split(' ').length);
  if (rest.includes('--help')) {
    io.out(usage(command));
    return EXIT.ok;
  }
  const args = parseArgs(command, rest);
  if (!args.ok) {
    io.err(`${args.error.code}: ${args.error.message}`);
    return EXIT.usage;
  }
  return command.run(args.value, io);
};

const defaultVectors = (): string => join(packageRoot(), 'vectors');

const loadSelected = async (args: ParsedArgs): Promise<LoadResult> => {
  const loaded = await loadVectorPaths(args.options.get('vectors') ?? [defaultVectors()], allKinds);
  const kinds = args.options.get('kind');
  return kinds ? { ...loaded, suites: loaded.suites.filter((s) => kinds.includes(s.header.kind)) } : loaded;
};

const reportProblems = (io: Io, loaded: LoadResult): boolean => {
  for (const p of loaded.problems) io.err(formatProblem(p));
  return loaded.problems.length > 0;
};

async function conform(args: ParsedArgs, io: Io): Promise<number> {
  const clientName = args.options.get('client')?.[0];
  if (clientName === undefined) {
    io.err('Cli.MISSING_OPTION: conform: --client <model|impl|command> is required');
    return EXIT.usage;
  }
  const timeout = intOption(args, 'timeout', 10_000, 'conform');
  if (!timeout.ok) {
    io.err(`${timeout.error.code}: ${timeout.error.message}`);
    return EXIT.usage;
  }
  let skips: readonly SkipRule[] = [];
  const skipPath = args.options.get('skip')?.[0];
  if (skipPath !== undefined) {
    const read = await readSkipFile(skipPath);
    if (!read.ok) {
      io.err(`${read.error.code}: ${read.error.message}`);
      return EXIT.usage;
    }
    skips = read.value;
  }
  const loaded = await loadSelected(args);
  if (reportProblems(io, loaded)) {
    io.err(`Vectors.INVALID: ${loaded.problems.length} problem(s) in the vector files; nothing was run`);
    return EXIT.failed;
  }
  const client: Client = clientName === 'model' || clientName === 'impl'
    ? builtinClient(clientName, allKinds, SPEC_VERSION)
    : processClient(clientName, { log: io.err });
  let report: RunReport;
  try {
    const info = await client.start();
    report = await runSuites(client, info, loaded.suites, { timeoutMs: timeout.value, skips });
  } catch (e) {
    if (e instanceof ClientStartError) {
      io.err(`${e.code}: ${e.message}`);
      return EXIT.failed;
    }
    throw e;
  } finally {
    await client.close();
  }
  io.out(formatRunTable(report));
  const write = async (option: string, content: string): Promise<void> => {
    const path = args.options.get(option)?.[0];
    if (path === undefined) return;
    await mkdir(dirname(resolve(path)), { recursive: true });
    await writeFile(path, content);
  };
  await write('report', `${JSON.stringify(reportToJson(report), null, 2)}\n`);
  await write('junit', reportToJUnit(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}

async function vectorsGenerate(args: ParsedArgs, io: Io): Promise<number> {
  const out = args.options.get('out')?.[0] ?? defaultVectors();
  const tree = generateVectorTree(allKinds);
  if (args.flags.has('check')) {
    const diffs = await checkVectorTree(out, tree);
    for (const d of diffs) io.err(d);
    io.out(diffs.length === 0 ? `vectors in ${out} are exactly what the model generates (${tree.size} files)` : `${diffs.length} file(s) differ from the model's output`);
    return diffs.length === 0 ? EXIT.ok : EXIT.failed;
  }
  for (const [path, content] of tree) {
    await mkdir(dirname(join(out, path)), { recursive: true });
    await writeFile(join(out, path), content);
  }
  io.out(`wrote ${tree.size} files to ${out}`);
  return EXIT.ok;
}

async function vectorsValidate(args: ParsedArgs, io: Io): Promise<number> {
  const paths = args.positionals.length ? args.positionals : [defaultVectors()];
  const loaded = await loadVectorPaths(paths, allKinds);
  const cases = loaded.suites.reduce((n, s) => n + s.cases.length, 0);
  if (reportProblems(io, loaded)) {
    io.out(`${loaded.problems.length} problem(s) found`);
    return EXIT.failed;
  }
  io.out(`${loaded.suites.length} file(s), ${cases} case(s): valid`);
  return EXIT.ok;
}

async function vectorsList(args: ParsedArgs, io: Io): Promise<number> {
  const loaded = await loadSelected(args);
  const rows = loaded.suites.map((s) => [s.header.kind, s.header.suite, s.cases.length, s.cases.filter((c) => c.expected.result === 'invalid').length]);
  io.out(textTable(['kind', 'suite', 'cases', 'invalid'], rows));
  return reportProblems(io, loaded) ? EXIT.failed : EXIT.ok;
}

async function modelChecks(args: ParsedArgs, io: Io, which: readonly ('tla' | 'explore')[]): Promise<number> {
  const jar = args.options.get('jar')?.[0];
  const results = await runModelChecks(packageRoot(), which, jar === undefined ? {} : { jar });
  io.out(results.map((r) => r.details).join('\n\n'));
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
}

async function checkTrace(args: ParsedArgs, io: Io): Promise<number> {
  const runs = intOption(args, 'runs', 20, 'check trace');
  const seed = intOption(args, 'seed', 20261127, 'check trace');
  for (const r of [runs, seed]) {
    if (!r.ok) {
      io.err(`${r.error.code}: ${r.error.message}`);
      return EXIT.usage;
    }
  }
  if (!runs.ok || !seed.ok) return EXIT.usage;
  const r = await runTraceValidation(packageRoot(), { runs: runs.value, seed: seed.value });
  io.out(r.details);
  return r.ok ? EXIT.ok : EXIT.failed;
}

async function trace(args: ParsedArgs, io: Io): Promise<number> {
  const matrix = await buildTraceMatrix(packageRoot());
  io.out(args.flags.has('json') ? JSON.stringify(traceMatrixToJson(matrix), null, 2) : formatTraceMatrix(matrix));
  return matrix.ok ? EXIT.ok : EXIT.failed;
}

/**
 * The main job: the built-in implementation against every vector, then the model checks, with
 * one summary row per area. @spec CLI-VERIFY.1
 */
async function verify(args: ParsedArgs, io: Io): Promise<number> {
  const loaded = await loadSelected(args);
  const invalid = reportProblems(io, loaded);
  const client = builtinClient('impl', allKinds, SPEC_VERSION);
  const report = await runSuites(client, await client.start(), loaded.suites, { timeoutMs: 60_000 });
  const checks: readonly ModelCheckResult[] = await runModelChecks(packageRoot(), ['tla', 'explore'], {});
  const rows = AREAS.map((area) => {
    const rs = report.results.filter((r) => kindByName(r.kind)?.area === area);
    const kinds = new Set(rs.map((r) => r.kind)).size;
    const failed = rs.filter((r) => r.verdict !== 'pass').length;
    const areaChecks = checks.flatMap((c) => c.byArea.filter((a) => a.area === area));
    const passedChecks = areaChecks.reduce((n, a) => n + a.passed, 0);
    const totalChecks = areaChecks.reduce((n, a) => n + a.total, 0);
    return [area, kinds, rs.length, rs.length - failed, failed, totalChecks === 0 ? '-' : `${passedChecks}/${totalChecks}`];
  });
  io.out(textTable(['area', 'kinds', 'cases', 'passed', 'failed', 'model checks'], rows));
  for (const c of checks) if (!c.ok) io.out(`\n${c.details}`);
  for (const r of report.results.filter((x) => x.verdict !== 'pass').slice(0, 20)) io.out(`${r.verdict.toUpperCase()} ${r.id}: ${r.message ?? ''}`);
  const ok = !invalid && report.ok && checks.every((c) => c.ok);
  io.out(ok
    ? `\nverify: OK (${report.executed} cases, ${checks.reduce((n, c) => n + c.byArea.reduce((m, a) => m + a.total, 0), 0)} model checks)`
    : '\nverify: FAILED');
  return ok ? EXIT.ok : EXIT.failed;
}
