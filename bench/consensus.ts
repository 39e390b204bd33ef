/**
 * Consensus benchmark, on the deterministic network simulator (one process, one thread):
 *
 * - good-case latency: every validator honest, fixed latency of one message delay per hop, timers
 *   far away; the latency of an event is the length of the longest causal chain of messages that
 *   leads to it (a proposal input is at 0, a message sent by a step at level L arrives at L + 1).
 *   Reported for each routing: the delays until each (seq, proposer) instance decides and until the
 *   block of the sequence number is output, over every validator and instance;
 * - messages and bytes per sequence number for N = 4, 16, 64, 100, both routings: every copy a
 *   validator sends counts (a broadcast to N validators is N - 1 messages). Bytes are the length of
 *   each message's JSON text (bigints as decimal strings); the messages are ASCII and RFC 8785
 *   canonicalization only reorders keys, so this is the length of their canonical JSON. Proposals
 *   carry transaction hashes (66 characters each), so bytes are given for empty batches (the
 *   protocol's own cost) and for the batch size of the throughput measure;
 * - ordered transactions per second of CPU: the engine at N = 16 and N = 64 with batches of 500
 *   and 2,000 transaction hashes per proposal, uniform latency; the CPU time of simulating the whole
 *   network (all N validators on this one thread) and the same figure per validator (times N),
 *   which is what one validator's core would sustain for its own share of the work;
 * - engine against model: the events of one simulated run, recorded per validator, replayed into
 *   fresh model validators (`nodeStep`) and fresh engines, in interleaved rounds (bench/harness.ts
 *   `compare`); small batches show the protocol logic, a 500-transaction batch shows how much of
 *   a step is the proposal hash (keccak over the transaction list), which both sides compute;
 * - explorer against TLA+ checker: for every consensus entry of `EXPLORER_TWINS` and every passing
 *   config of its module in `spec/tla/expected.json`, the TS explorer on the twin and tla-checker on
 *   the module explore the same configuration; both must reach the expected number of distinct
 *   states, and the figure is distinct states per second of each and their ratio. The two run in
 *   interleaved rounds (explorer first in even rounds, checker first in odd ones), as in
 *   bench/harness.ts, but with one exploration per side and round: a single exploration takes from
 *   a fraction of a second to about a minute, so there is nothing to calibrate. Configurations whose
 *   first tla-checker run takes more than 20 seconds get one round; `--quick` leaves out those above
 *   5,000 states.
 *
 * `npm run bench -- consensus [--quick]`.
 */
import { compare, formatNs, median, type BenchOptions, type ComparisonResult } from './harness.js';
import { textTable } from '../src/conformance/runner/report.js';
import type { Routing } from '../src/model/consensus/myba.js';
import type { Message, NodeEvent } from '../src/model/consensus/node.js';
import { type Latency, type NodeRunner, type SimOptions, simulate } from '../src/impl/consensus/sim.js';
import { equalSet, implNode, modelNode } from '../src/conformance/consensus/lockstep.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXPLORER_TWINS } from '../src/conformance/explore/twins.js';
import { explore } from '../src/conformance/explore/explore.js';
import { consensusModelConfig, consensusModelMachine } from '../src/conformance/explore/consensus-model.js';
import { parseTlcConfig } from '../src/conformance/tla/cfg.js';
import { runTlaChecker } from '../src/conformance/tla/checkers.js';
import { parseExpectations } from '../src/conformance/tla/expected.js';

const ROUTINGS: readonly Routing[] = ['normal', 'optimistic'];
const FAR = 1_000_000_000;
const QUIET_TIMERS = { skip: FAR, softPass: FAR, hardPass: FAR, request: FAR };
const goodCoin = (round: number): 0 | 1 => (round % 2 === 0 ? 1 : 0);

const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const jsonLength = (msg: Message): number => JSON.stringify(msg, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).length;

// ---------------------------------------------------------------------------------------------
// (a) Good-case latency in message delays.

interface LatencyResult {
  readonly routing: Routing;
  readonly n: number;
  /** Message delays from the proposals until an instance decides: min and max over validators and instances. */
  readonly decideMin: number;
  readonly decideMax: number;
  /** Message delays until the sequence number's block is output, max over validators. */
  readonly block: number;
  /** Whether every decision took the fast path in round 0. */
  readonly allFast: boolean;
  /** The simulator's clock when the last validator completed (equals `block` under fixed latency 1). */
  readonly simTime: number;
}

/**
 * Wraps a validator so that each event carries its causal level. Outgoing messages are copied so
 * that every send has its own identity (a node may send the same object twice at different levels).
 */
const levelled = (inner: NodeRunner, levels: WeakMap<object, number>, onOutput: (level: number, o: { kind: string; fast?: boolean }) => void): NodeRunner => ({
  step: (ev: NodeEvent) => {
    const level = ev.kind === 'deliver' ? levels.get(ev.msg) ?? 0 : 0;
    const r = inner.step(ev);
    const sends = r.sends.map((s) => {
      const msg = { ...s.msg } as Message;
      levels.set(msg, level + 1);
      return { ...s, msg };
    });
    for (const o of r.outputs) onOutput(level, o);
    return { sends, outputs: r.outputs };
  },
});

const measureLatency = (routing: Routing, n: number): LatencyResult => {
  const levels = new WeakMap<object, number>();
  const decided: number[] = [];
  const blocks: number[] = [];
  let allFast = true;
  const validators = equalSet(ids(n));
  const res = simulate(
    { ids: ids(n), seed: 1, seqs: 1, latency: { kind: 'fixed', ms: 1 }, timers: QUIET_TIMERS, txsPerProposal: 3, maxEvents: 50_000_000 },
    (id) => levelled(implNode({ validators, routing, coin: goodCoin }, id), levels, (level, o) => {
      if (o.kind === 'decided') { decided.push(level); if (o.fast !== true) allFast = false; } else blocks.push(level);
    }),
  );
  if (!res.completed) throw new Error(`latency run (${routing}, N=${n}) did not complete`);
  return { routing, n, decideMin: Math.min(...decided), decideMax: Math.max(...decided), block: Math.max(...blocks), allFast, simTime: res.time };
};

// ---------------------------------------------------------------------------------------------
// (b) Messages and bytes per sequence number.

interface TrafficResult {
  readonly routing: Routing;
  readonly n: number;
  readonly txsPerProposal: number;
  readonly seqs: number;
  readonly messagesPerSeq: number;
  readonly messagesPerSeqPerValidator: number;
  readonly bytesPerSeq: number;
  /** Bytes per sequence number by message type. */
  readonly bytesByType: Readonly<Record<string, number>>;
  readonly messagesByType: Readonly<Record<string, number>>;
  readonly cpuSeconds: number;
}

const cpuNow = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

const measureTraffic = (routing: Routing, n: number, txsPerProposal: number, seqs: number): TrafficResult => {
  const validators = equalSet(ids(n));
  const t0 = cpuNow();
  const res = simulate(
    { ids: ids(n), seed: 2, seqs, latency: { kind: 'uniform', min: 50, max: 150 }, txsPerProposal, maxEvents: 200_000_000 },
    (id) => implNode({ validators, routing, coin: goodCoin }, id),
  );
  const cpuSeconds = cpuNow() - t0;
  if (!res.completed) throw new Error(`traffic run (${routing}, N=${n}) did not complete`);
  const bytesByType: Record<string, number> = {};
  const messagesByType: Record<string, number> = {};
  let bytes = 0;
  let messages = 0;
  for (const trace of res.nodes.values()) {
    for (const s of trace.sent) {
      const copies = s.to === 'all' ? n - 1 : 1;
      const b = jsonLength(s.msg) * copies;
      bytes += b;
      messages += copies;
      bytesByType[s.msg.type] = (bytesByType[s.msg.type] ?? 0) + b / seqs;
      messagesByType[s.msg.type] = (messagesByType[s.msg.type] ?? 0) + copies / seqs;
    }
  }
  // Every validator is honest and nothing is lost, so the simulator's count must agree with ours.
  if (messages !== res.messages) throw new Error(`message count mismatch: ${messages} counted, ${res.messages} transmitted`);
  return {
    routing, n, txsPerProposal, seqs, messagesPerSeq: messages / seqs, messagesPerSeqPerValidator: messages / seqs / n,
    bytesPerSeq: bytes / seqs, bytesByType, messagesByType, cpuSeconds,
  };
};

// ---------------------------------------------------------------------------------------------
// (c) Ordered transactions per second of CPU.

interface ThroughputResult {
  readonly routing: Routing;
  readonly n: number;
  readonly txsPerProposal: number;
  readonly seqs: number;
  readonly latency: Latency;
  /** Distinct transactions in validator 0's ledger (first occurrence wins). */
  readonly orderedTxs: number;
  readonly cpuSeconds: number;
  readonly txsPerCpuSecond: number;
  /** The same with the CPU time divided among the N simulated validators. */
  readonly txsPerValidatorCpuSecond: number;
  readonly simSeconds: number;
  readonly events: number;
}

const measureThroughput = (routing: Routing, n: number, txsPerProposal: number, seqs: number): ThroughputResult => {
  const validators = equalSet(ids(n));
  const latency: Latency = { kind: 'uniform', min: 50, max: 150 };
  const options: SimOptions = { ids: ids(n), seed: 3, seqs, latency, txsPerProposal, maxEvents: 500_000_000 };
  const t0 = cpuNow();
  const res = simulate(options, (id) => implNode({ validators, routing, coin: goodCoin }, id));
  const cpuSeconds = cpuNow() - t0;
  if (!res.completed) throw new Error(`throughput run (${routing}, N=${n}) did not complete`);
  const ledger = new Set<string>();
  for (const o of res.nodes.get(0)!.outputs) if (o.kind === 'block') for (const p of o.proposals) for (const tx of p.txs) ledger.add(tx);
  return {
    routing, n, txsPerProposal, seqs, latency, orderedTxs: ledger.size, cpuSeconds, txsPerCpuSecond: ledger.size / cpuSeconds,
    txsPerValidatorCpuSecond: (ledger.size / cpuSeconds) * n, simSeconds: res.time / 1000, events: res.events,
  };
};

// ---------------------------------------------------------------------------------------------
// (d) Engine against model on the same schedules.

interface SpeedCase { readonly name: string; readonly options: SimOptions; readonly routing: Routing }

const speedCases = (quick: boolean): readonly SpeedCase[] => [
  { name: 'N=4, 5 seqs, 3 tx/proposal, uniform latency', routing: 'normal', options: { ids: ids(4), seed: 4, seqs: 5, latency: { kind: 'uniform', min: 50, max: 150 }, txsPerProposal: 3 } },
  { name: 'N=4, 5 seqs, optimistic, 1 crash, 5% duplicated', routing: 'optimistic', options: { ids: ids(4), seed: 5, seqs: 5, latency: { kind: 'exponential', min: 20, mean: 60 }, duplication: 0.05, crashes: new Map([[3, 0]]), txsPerProposal: 3 } },
  { name: 'N=16, 2 seqs, 3 tx/proposal, uniform latency', routing: 'normal', options: { ids: ids(16), seed: 6, seqs: 2, latency: { kind: 'uniform', min: 50, max: 150 }, txsPerProposal: 3 } },
  ...(quick ? [] : [{ name: 'N=16, 2 seqs, 500 tx/proposal, uniform latency', routing: 'normal' as const, options: { ids: ids(16), seed: 6, seqs: 2, latency: { kind: 'uniform' as const, min: 50, max: 150 }, txsPerProposal: 500 } }]),
];

const outputsText = (outs: readonly unknown[]): string => JSON.stringify(outs, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/**
 * One simulated run records every validator's events in order; both sides then replay exactly those
 * events into fresh validators, so the comparison times the step functions alone (no simulator, no
 * network) on identical schedules. The replays must produce identical outputs.
 */
const measureSpeed = (c: SpeedCase, options: BenchOptions): ComparisonResult & { readonly events: number; readonly sameOutputs: boolean } => {
  const validators = equalSet(c.options.ids);
  const setup = { validators, routing: c.routing, coin: goodCoin };
  const recorded = new Map<number, NodeEvent[]>();
  const res = simulate({ ...c.options, maxEvents: 2_000_000 }, (id) => {
    const inner = implNode(setup, id);
    const events: NodeEvent[] = [];
    recorded.set(id, events);
    return { step: (ev) => { events.push(ev); return inner.step(ev); } };
  });
  if (!res.completed) throw new Error(`${c.name} does not complete`);
  const replay = (make: (id: number) => NodeRunner): unknown[] => {
    const outs: unknown[] = [];
    for (const [id, events] of recorded) {
      const node = make(id);
      for (const ev of events) outs.push(node.step(ev).outputs);
    }
    return outs;
  };
  const sameOutputs = outputsText(replay((id) => modelNode(setup, id))) === outputsText(replay((id) => implNode(setup, id)));
  if (!sameOutputs) throw new Error(`model and engine disagree on ${c.name}`);
  const events = [...recorded.values()].reduce((n, e) => n + e.length, 0);
  const result = compare({
    name: c.name, unit: `replay of ${events} events`,
    ours: { name: 'engine', run: () => replay((id) => implNode(setup, id)).length },
    peer: { name: 'model', run: () => replay((id) => modelNode(setup, id)).length },
  }, options);
  return { ...result, events, sameOutputs };
};

// ---------------------------------------------------------------------------------------------
// (e) The TS explorer against tla-checker on the same configurations.

interface CheckerSide { readonly medianMs: number; readonly minMs: number; readonly maxMs: number; readonly statesPerSecond: number }

interface CheckerSpeed {
  readonly cfg: string;
  readonly module: string;
  readonly distinctStates: number;
  readonly rounds: number;
  readonly explorer: CheckerSide;
  readonly tlaChecker: CheckerSide;
  /** Explorer states/s over tla-checker states/s (above 1: the explorer is faster). */
  readonly ratio: number;
}

/** `spec/tla` of the repository: two levels above dist/bench/consensus.js, one above bench/consensus.ts. */
const specDir = (): string => {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', '..', 'spec', 'tla'), join(here, '..', 'spec', 'tla')];
  return candidates.find((d) => { try { readFileSync(join(d, 'expected.json')); return true; } catch { return false; } }) ?? candidates[0]!;
};

const sideOf = (ms: readonly number[], states: number): CheckerSide => {
  const medianMs = median(ms);
  return { medianMs, minMs: Math.min(...ms), maxMs: Math.max(...ms), statesPerSecond: states / (medianMs / 1000) };
};

const measureCheckers = (quick: boolean, log: (line: string) => void): CheckerSpeed[] => {
  const dir = specDir();
  const expectations = parseExpectations(readFileSync(join(dir, 'expected.json'), 'utf8'));
  if (!expectations.ok) throw new Error(expectations.error.message);
  const out: CheckerSpeed[] = [];
  for (const twin of EXPLORER_TWINS.filter((t) => t.area === 'consensus')) {
    for (const [cfgName, expected] of expectations.value) {
      if (!cfgName.startsWith(`MC_${twin.module}_`) || expected.verdict !== 'pass') continue;
      if (quick && expected.distinctStates > 5000) continue;
      const cfgText = readFileSync(join(dir, cfgName), 'utf8');
      const specText = readFileSync(join(dir, expected.spec), 'utf8');
      const cfg = parseTlcConfig(cfgText);
      if (!cfg.ok) throw new Error(`${cfgName}: ${cfg.error.message}`);
      const machine = twin.machine(cfg.value);
      if (!machine.ok) throw new Error(`${cfgName}: ${machine.error.message}`);
      const invariants = cfg.value.invariants.map((name) => {
        const inv = machine.value.invariants.find((i) => i.name === name);
        if (inv === undefined) throw new Error(`${cfgName}: the twin has no invariant ${name}`);
        return inv;
      });
      // Both sides check the invariants the cfg lists, and must reach the expected count every time.
      const runExplorer = (): number => {
        const t0 = performance.now();
        const r = explore({ ...machine.value, invariants }, { maxStates: 2_000_000, onProgress: () => {} });
        const ms = performance.now() - t0;
        if (r.verdict !== 'pass' || r.distinctStates !== expected.distinctStates) throw new Error(`${cfgName}: explorer gave ${r.verdict} with ${r.distinctStates} states, expected ${expected.distinctStates}`);
        return ms;
      };
      const runChecker = (): number => {
        const t0 = performance.now();
        const r = runTlaChecker(specText, cfgText, { invariants: cfg.value.invariants, checkDeadlock: cfg.value.checkDeadlock });
        const ms = performance.now() - t0;
        if (r.verdict !== 'pass' || r.distinctStates !== expected.distinctStates) throw new Error(`${cfgName}: tla-checker gave ${r.verdict} with ${r.distinctStates ?? '?'} states, expected ${expected.distinctStates}`);
        return ms;
      };
      const explorerMs: number[] = [];
      const checkerMs: number[] = [];
      // Round 0 (explorer first) also tells how long the checker takes.
      explorerMs.push(runExplorer());
      checkerMs.push(runChecker());
      const rounds = quick || checkerMs[0]! > 20_000 ? 1 : 5;
      for (let r = 1; r < rounds; r++) {
        if (r % 2 === 0) { explorerMs.push(runExplorer()); checkerMs.push(runChecker()); } else { checkerMs.push(runChecker()); explorerMs.push(runExplorer()); }
      }
      const explorer = sideOf(explorerMs, expected.distinctStates);
      const tlaChecker = sideOf(checkerMs, expected.distinctStates);
      out.push({ cfg: cfgName, module: twin.module, distinctStates: expected.distinctStates, rounds, explorer, tlaChecker, ratio: explorer.statesPerSecond / tlaChecker.statesPerSecond });
      log(`checkers ${cfgName}: explorer ${explorer.medianMs.toFixed(0)} ms, tla-checker ${tlaChecker.medianMs.toFixed(0)} ms`);
    }
  }
  return out;
};

// ---------------------------------------------------------------------------------------------

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const kib = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

// (f) The explorer on the model itself (CONS-MC-MODEL.1): nodeStep of three correct validators and
// an equivocating Byzantine proposer, the configurations the tests check in CI.
interface ModelExploreResult {
  readonly coin: 0 | 1;
  readonly distinctStates: number;
  readonly medianMs: number;
  readonly statesPerSecond: number;
}

const measureModelExplore = (quick: boolean): readonly ModelExploreResult[] =>
  ([1, 0] as const).map((coin) => {
    const moves = [{ move: 'val:0', to: 0 }, { move: 'val:1', to: 1 }, { move: 'val:1', to: 2 }];
    const ms: number[] = [];
    let states = 0;
    for (let r = 0; r < (quick ? 1 : 3); r++) {
      const t = performance.now();
      const res = explore(consensusModelMachine(consensusModelConfig({ coin, byzantineMoves: moves })), { onProgress: () => {} });
      ms.push(performance.now() - t);
      if (res.verdict !== 'pass') throw new Error(`model exploration with coin ${coin}: ${res.verdict}`);
      states = res.distinctStates;
    }
    const medianMs = [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
    return { coin, distinctStates: states, medianMs, statesPerSecond: states / (medianMs / 1000) };
  });

export const consensusBench = {
  run: async (args: readonly string[]): Promise<{ readonly result: unknown; readonly table: string }> => {
    const quick = args.includes('--quick');
    const log = (line: string): void => { process.stderr.write(`  ${line}\n`); };
    const started = performance.now();

    const latency = ROUTINGS.flatMap((routing) => [4, 16].map((n) => measureLatency(routing, n)));
    log('latency done');

    const sizes = quick ? [4, 16, 64] : [4, 16, 64, 100];
    const traffic: TrafficResult[] = [];
    for (const n of sizes) {
      for (const routing of ROUTINGS) {
        const seqs = n >= 64 ? 1 : 3;
        traffic.push(measureTraffic(routing, n, 0, seqs));
        log(`traffic N=${n} ${routing}: ${traffic[traffic.length - 1]!.cpuSeconds.toFixed(1)} s`);
      }
      // Bytes with a realistic batch (all-to-all routing only: the payload travels the same way in both).
      traffic.push(measureTraffic('normal', n, 500, 1));
      log(`traffic N=${n} 500 tx: ${traffic[traffic.length - 1]!.cpuSeconds.toFixed(1)} s`);
    }

    const throughput: ThroughputResult[] = [];
    const tpCases: readonly [number, number, number][] = quick
      ? [[16, 500, 2], [16, 2000, 2], [64, 500, 1]]
      : [[16, 500, 5], [16, 2000, 5], [64, 500, 2], [64, 2000, 2]];
    for (const [n, batch, seqs] of tpCases) {
      throughput.push(measureThroughput('normal', n, batch, seqs));
      log(`throughput N=${n} ${batch} tx: ${throughput[throughput.length - 1]!.cpuSeconds.toFixed(1)} s`);
    }

    const speedOptions: BenchOptions = quick ? { rounds: 3, roundMs: 50 } : { rounds: 7, roundMs: 300 };
    const speed = speedCases(quick).map((c) => measureSpeed(c, speedOptions));
    log('engine/model done');

    const checkers = measureCheckers(quick, log);
    const modelExplore = measureModelExplore(quick);
    log('model exploration done');

    const totalSeconds = (performance.now() - started) / 1000;
    const table = [
      'Good-case latency (message delays, fixed latency 1 per hop, all honest)',
      textTable(['routing', 'N', 'decide min', 'decide max', 'block', 'all fast path', 'sim clock'],
        latency.map((l) => [l.routing, String(l.n), String(l.decideMin), String(l.decideMax), String(l.block), String(l.allFast), String(l.simTime)])),
      '',
      'Messages and bytes per sequence number (uniform latency 50..150, all honest)',
      textTable(['routing', 'N', 'tx/proposal', 'messages/seq', 'per validator', 'bytes/seq', 'largest types by bytes'],
        traffic.map((t) => [t.routing, String(t.n), String(t.txsPerProposal), int(t.messagesPerSeq), int(t.messagesPerSeqPerValidator), kib(t.bytesPerSeq),
          Object.entries(t.bytesByType).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ${kib(v)}`).join(', ')])),
      '',
      'Ordered transactions per second of CPU (engine, normal routing, whole network simulated on one thread)',
      textTable(['N', 'tx/proposal', 'seqs', 'ordered txs', 'CPU s', 'tx/s CPU (network)', 'tx/s CPU (per validator)', 'sim s', 'events'],
        throughput.map((t) => [String(t.n), String(t.txsPerProposal), String(t.seqs), int(t.orderedTxs), t.cpuSeconds.toFixed(2), int(t.txsPerCpuSecond), int(t.txsPerValidatorCpuSecond), t.simSeconds.toFixed(2), int(t.events)])),
      '',
      `Engine against model replaying the same recorded events, no simulator (${speedOptions.rounds} interleaved rounds)`,
      textTable(['schedule (replayed events)', 'events', 'engine', 'model', 'engine/model', 'model/engine'],
        speed.map((s) => [s.name, String(s.events), formatNs(s.ours.medianNs), formatNs(s.peer.medianNs), s.ratio.toFixed(3), (1 / s.ratio).toFixed(1)])),
      '',
      'Explorer (TS twin) against tla-checker (TLA+ module) on the same configuration, distinct states per second',
      textTable(['config', 'distinct states', 'rounds', 'explorer', 'explorer states/s', 'tla-checker', 'tla-checker states/s', 'explorer/checker (states/s)'],
        checkers.map((c) => [c.cfg, int(c.distinctStates), String(c.rounds), `${c.explorer.medianMs.toFixed(0)} ms`, int(c.explorer.statesPerSecond), `${c.tlaChecker.medianMs.toFixed(0)} ms`, int(c.tlaChecker.statesPerSecond), c.ratio.toFixed(1)])),
      '',
      'Explorer on the model itself (nodeStep, N=4, equivocating Byzantine proposer, round 0)',
      textTable(['coin', 'distinct states', 'time', 'states/s'],
        modelExplore.map((m) => [String(m.coin), int(m.distinctStates), `${m.medianMs.toFixed(0)} ms`, int(m.statesPerSecond)])),
      `total ${totalSeconds.toFixed(0)} s${quick ? ' (--quick: N=100 and the largest runs left out)' : ''}`,
    ].join('\n');
    return {
      result: { node: process.version, quick, totalSeconds, latency, traffic, throughput, engineVsModel: speed, explorerVsTlaChecker: checkers, explorerOnModel: modelExplore },
      table,
    };
  },
};
