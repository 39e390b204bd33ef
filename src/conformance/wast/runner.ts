/**
 * Runs WebAssembly `.wast` scripts against the dMIR WASM profile (decode, validate, lower, run
 * on the reference interpreter) and reports every command as pass, fail or skip (with a reason).
 * Commands that need a feature outside the profile are skipped, never counted as passes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail, ok, type Result } from '../../model/encoding/result.js';
import { MAX_MEMORY_PAGES, type Module, type TrapCode, type Val } from '../../model/dmir/ir.js';
import type { HostFunction, Instance, Outcome } from '../../model/dmir/interp.js';
import { instantiateWasm, invokeExport, loadWasm, readGlobal } from '../../model/dmir/wasm/index.js';
import { encodeModule } from '../../model/dmir/wasm/encode.js';
import { deployEngine, instantiateEngine, manualCompiler, type EngineInstance } from '../../impl/dmir/engine.js';
import { loadWasmBytes } from '../../impl/dmir/wasm-lower.js';
import { CANONICAL_NAN_F32, CANONICAL_NAN_F64 } from '../../model/dmir/numeric.js';
import { isTextError, parseFloatBits, parseInt_, parseSExprs, type SExpr } from './sexpr.js';
import { concat, parseModuleFields } from './wat.js';

export type Verdict = 'pass' | 'fail' | 'skip';
export interface CommandResult {
  readonly line: number;
  readonly command: string;
  readonly verdict: Verdict;
  readonly reason: string;
}
export interface FileReport {
  readonly file: string;
  readonly pass: number;
  readonly fail: number;
  readonly skip: number;
  /** Every failed or skipped command, with its reason. */
  readonly details: readonly CommandResult[];
  /** For the lazy engine's executors: top-level invocations run on each of its tiers. */
  readonly tiers?: { readonly interpreter: number; readonly native: number };
}

const GAS = (1n << 64n) - 1n;
const MAX_STEPS = 20_000_000;

/** The trap a `.wast` message names, or null for a message outside the profile's trap set. */
export const trapOfMessage = (msg: string): TrapCode | null => {
  const table: [string, TrapCode][] = [
    ['integer divide by zero', 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO'],
    ['integer overflow', 'Dmir.Trap.INTEGER_OVERFLOW'],
    ['invalid conversion to integer', 'Dmir.Trap.INVALID_CONVERSION_TO_INTEGER'],
    ['out of bounds memory access', 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS'],
    ['undefined element', 'Dmir.Trap.TABLE_OUT_OF_BOUNDS'],
    ['out of bounds table access', 'Dmir.Trap.TABLE_OUT_OF_BOUNDS'],
    ['uninitialized element', 'Dmir.Trap.UNINITIALIZED_ELEMENT'],
    ['indirect call type mismatch', 'Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH'],
    ['unreachable', 'Dmir.Trap.UNREACHABLE'],
    ['call stack exhausted', 'Dmir.Trap.CALL_STACK_EXHAUSTED'],
  ];
  return table.find(([m]) => msg.startsWith(m))?.[1] ?? null;
};

/** An instantiated module as the script sees it, whichever executor runs it. */
interface Holder {
  readonly module: Module;
  invoke(field: string, args: readonly Val[]): Result<Outcome>;
  /** An exported global's value. */
  get(field: string): Result<Val>;
}

/**
 * Which executor runs the modules: the reference interpreter (`interpreter`), the engine compiled
 * before the first call (`compiled`), the lazy engine whose compilation never finishes, so every
 * call runs on its interpreter tier (`lazy`), or the lazy engine whose compilation finishes in the
 * middle of the script (`switching`: the k-th instance of a script, counting from 1, switches to
 * compiled code after k mod 4 of its calls, so instances switch after one, two or three calls or
 * start on compiled code).
 */
export type Executor = 'interpreter' | 'compiled' | 'lazy' | 'switching';
export const EXECUTORS: readonly Executor[] = ['interpreter', 'compiled', 'lazy', 'switching'];
type Loaded = { readonly kind: 'ok'; readonly module: Module } | { readonly kind: 'rejected'; readonly code: string; readonly message: string };

const atom = (e: SExpr | undefined): string | null => (e?.kind === 'atom' ? e.text : null);
const listItems = (e: SExpr | undefined): readonly SExpr[] | null => (e?.kind === 'list' ? e.items : null);
const isProfileCode = (code: string): boolean => code.startsWith('Wasm.Profile.') || code.startsWith('Wasm.Limit.');

/** Builds a module from a `(module ...)` form: text fields, `binary` strings or `quote` text. */
const loadModuleForm = (items: readonly SExpr[], load: (bytes: Uint8Array) => Result<Module>): Loaded => {
  let i = 1;
  if (atom(items[i])?.startsWith('$')) i++;
  try {
    let bytes: Uint8Array;
    if (atom(items[i]) === 'binary') {
      bytes = concat(items.slice(i + 1).map((s) => (s.kind === 'string' ? s.bytes : new Uint8Array())));
    } else if (atom(items[i]) === 'quote') {
      const src = new TextDecoder().decode(concat(items.slice(i + 1).map((s) => (s.kind === 'string' ? s.bytes : new Uint8Array()))));
      bytes = encodeModule(parseModuleFields(parseSExprs(src)));
    } else {
      bytes = encodeModule(parseModuleFields(items.slice(i)));
    }
    const r = load(bytes);
    return r.ok ? { kind: 'ok', module: r.value } : { kind: 'rejected', code: r.error.code, message: r.error.message };
  } catch (e) {
    if (isTextError(e)) return { kind: 'rejected', code: e.code, message: e.message };
    throw e;
  }
};

/** A constant argument or expected value; null when it is of a type outside the profile. */
const constant = (e: SExpr): Val | 'nan:canonical' | 'nan:arithmetic' | null => {
  const items = listItems(e);
  if (items === null) return null;
  const op = atom(items[0]);
  const lit = atom(items[1]) ?? '';
  switch (op) {
    case 'i32.const': return Number(parseInt_(lit, 32));
    case 'i64.const': return parseInt_(lit, 64);
    case 'f32.const': case 'f64.const':
      if (lit === 'nan:canonical' || lit === 'nan:arithmetic') return lit;
      return op === 'f32.const' ? Number(parseFloatBits(lit, 32)) : parseFloatBits(lit, 64);
    default: return null;
  }
};

const isNan32 = (b: number): boolean => (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;
const isNan64 = (b: bigint): boolean => (b & 0x7ff0000000000000n) === 0x7ff0000000000000n && (b & 0xfffffffffffffn) !== 0n;

/** Compares one result with an expectation; NaN expectations match by class. */
const matches = (got: Val, want: Val | 'nan:canonical' | 'nan:arithmetic', type: string): boolean => {
  if (want === 'nan:canonical') {
    return type === 'f32.const'
      ? typeof got === 'number' && (got & 0x7fffffff) === CANONICAL_NAN_F32
      : typeof got === 'bigint' && (got & 0x7fffffffffffffffn) === CANONICAL_NAN_F64;
  }
  if (want === 'nan:arithmetic') {
    return type === 'f32.const'
      ? typeof got === 'number' && isNan32(got) && (got & 0x400000) !== 0
      : typeof got === 'bigint' && isNan64(got) && (got & 0x8000000000000n) !== 0n;
  }
  return got === want;
};

/**
 * Whether a module can see the profile's 256-page memory ceiling (DMIR-LIMIT-MEMORY.1) where the
 * core specification allows more: its memory may grow past 256 pages and some function grows it.
 * On such a module a `memory.grow` result of -1 where the script expects success is the ceiling,
 * not a defect, and the command is skipped with that reason.
 */
const seesMemoryCeiling = (m: Module): boolean =>
  m.memory !== null && (m.memory.max === null || m.memory.max > MAX_MEMORY_PAGES) &&
  m.funcs.some((f) => f.kind === 'defined' && f.blocks.some((b) => b.stmts.some((st) => st.op === 'memory_grow')));

const show = (v: Val): string => (typeof v === 'bigint' ? `${v}n` : String(v));

/**
 * Runs one script. `name` labels the report.
 *
 * @spec DMIR-WASM-SPECTEST.1
 */
export const runWast = (src: string, name: string, executor: Executor = 'interpreter'): FileReport => {
  // The engine executors load through the engine's own path (reader, validation, lowering,
  // verifier); the interpreter through the model's.
  const load = executor === 'interpreter' ? loadWasm : loadWasmBytes;
  const lineOf = (pos: number): number => src.slice(0, pos).split('\n').length;
  const details: CommandResult[] = [];
  let pass = 0;
  let failN = 0;
  let skip = 0;
  const record = (e: SExpr, verdict: Verdict, reason: string): void => {
    const command = atom(listItems(e)?.[0]) ?? '?';
    if (verdict === 'pass') pass++;
    else {
      if (verdict === 'fail') failN++;
      else skip++;
      details.push({ line: lineOf(e.pos), command, verdict, reason });
    }
  };

  let current: Holder | null = null;
  /** Tier counters of the lazy engine's instances. */
  const lazyInstances: { tierCounts(): { readonly interpreter: number; readonly native: number } }[] = [];
  let currentSkip: string | null = null;
  const named = new Map<string, Holder | string>();
  const registered = new Map<string, Holder>();

  const spectest = (field: string): HostFunction | undefined =>
    field.startsWith('print') ? () => ok([]) : undefined;
  const resolver = (module: string, field: string): HostFunction | undefined => {
    if (module === 'spectest') return spectest(field);
    const h = registered.get(module);
    if (h === undefined) return undefined;
    const e = h.module.exports.find((x) => x.name === field && x.kind === 'func');
    if (e === undefined) return undefined;
    return (args): Result<readonly Val[]> => {
      const r = h.invoke(field, args);
      if (!r.ok) return r;
      return r.value.kind === 'return' ? ok(r.value.values) : fail(r.value.code, 'trap in an imported function');
    };
  };

  /** The module an action targets (its `$name` or the current one), if it was loaded. */
  const target = (e: SExpr): Holder | null => {
    const id = atom(listItems(e)?.[1]);
    const h = id?.startsWith('$') ? named.get(id) ?? null : current ?? currentSkip;
    return h === null || h === undefined || typeof h === 'string' ? null : h;
  };

  /** Runs an action; returns the outcome, or a skip reason. */
  const action = (e: SExpr): { outcome: Outcome } | { skip: string } | { fail: string } => {
    const items = listItems(e) ?? [];
    const kind = atom(items[0]);
    let i = 1;
    let target: Holder | string | null = current ?? currentSkip;
    const id = atom(items[1]);
    if (id?.startsWith('$')) {
      target = named.get(id) ?? null;
      i++;
    }
    if (target === null) return { fail: 'no module to act on' };
    if (typeof target === 'string') return { skip: target };
    const fieldE = items[i];
    const field = fieldE?.kind === 'string' ? new TextDecoder('utf-8', { ignoreBOM: true }).decode(fieldE.bytes) : '';
    if (kind === 'get') {
      const g = target.get(field);
      return g.ok ? { outcome: { kind: 'return', values: [g.value] } } : { fail: g.error.message };
    }
    const args: Val[] = [];
    for (const a of items.slice(i + 1)) {
      const v = constant(a);
      if (v === null) return { skip: `argument ${atom(listItems(a)?.[0]) ?? '?'} is outside the profile` };
      if (typeof v === 'string') return { fail: 'NaN pattern as an argument' };
      args.push(v);
    }
    const r = target.invoke(field, args);
    if (!r.ok) return { fail: `${r.error.code}: ${r.error.message}` };
    return { outcome: r.value };
  };

  /** Instantiates a loaded module; a trap or link error is returned as its code. */
  const instantiateLoaded = (m: Module): { holder: Holder } | { error: string; trap: boolean } => {
    const opts = { gas: GAS, maxSteps: MAX_STEPS };
    if (executor !== 'interpreter') {
      let engine: EngineInstance;
      /** Before each top-level call: lets the compile driver finish when the schedule says so. */
      let beforeCall = (): void => {};
      if (executor === 'compiled') {
        const r = instantiateEngine(m, resolver, opts);
        if (!r.ok) return { error: r.error.code, trap: false };
        engine = r.value;
      } else {
        const compiler = manualCompiler();
        const r = deployEngine(m, resolver, { ...opts, compiler });
        if (!r.ok) return { error: r.error.code, trap: false };
        engine = r.value;
        lazyInstances.push(r.value);
        if (executor === 'switching') {
          let calls = 0;
          const switchAt = lazyInstances.length % 4;
          beforeCall = () => { if (calls++ === switchAt) compiler.finishNext(); };
        }
      }
      if (engine.startOutcome.kind === 'trap') return { error: engine.startOutcome.code, trap: true };
      const e = engine;
      return {
        holder: {
          module: m,
          invoke: (field, args) => {
            const ex = m.exports.find((x) => x.name === field && x.kind === 'func');
            if (ex === undefined || args.length !== m.funcs[ex.index]!.type.params.length) return fail('Wasm.Invoke.UNKNOWN_EXPORT', `no exported function ${field} of that arity`);
            beforeCall();
            return ok(e.invoke(field, args, GAS).outcome);
          },
          get: (field) => {
            const ex = m.exports.find((x) => x.name === field && x.kind === 'global');
            return ex === undefined ? fail('Wasm.Invoke.UNKNOWN_EXPORT', `no exported global ${JSON.stringify(field)}`) : ok(e.globals()[ex.index]!);
          },
        },
      };
    }
    const r = instantiateWasm(m, resolver, opts);
    if (!r.ok) return { error: r.error.code, trap: false };
    if (r.value.outcome.kind === 'trap') return { error: r.value.outcome.code, trap: true };
    let inst: Instance = r.value.instance;
    return {
      holder: {
        module: m,
        invoke: (field, args) => {
          const x = invokeExport(inst, field, args, opts);
          if (!x.ok) return x;
          inst = x.value.instance;
          return ok(x.value.outcome);
        },
        get: (field) => readGlobal(inst, field),
      },
    };
  };

  let script: SExpr[];
  try {
    script = parseSExprs(src);
  } catch (e) {
    if (isTextError(e)) return { file: name, pass: 0, fail: 1, skip: 0, details: [{ line: 0, command: 'script', verdict: 'fail', reason: e.message }] };
    throw e;
  }

  for (const cmd of script) {
    const items = listItems(cmd) ?? [];
    const head = atom(items[0]);
    try {
      switch (head) {
        case 'module': {
          const second = atom(items[1]);
          if (second === 'definition' || second === 'instance') { record(cmd, 'skip', 'module definitions and instances (Wasm 3.0 script extension)'); break; }
          const id = second?.startsWith('$') ? second : null;
          const loaded = loadModuleForm(items, load);
          current = null;
          currentSkip = null;
          if (loaded.kind === 'rejected') {
            if (isProfileCode(loaded.code)) {
              currentSkip = `module outside the profile: ${loaded.code}: ${loaded.message}`;
              record(cmd, 'skip', currentSkip);
            } else {
              currentSkip = `module failed to load`;
              record(cmd, 'fail', `${loaded.code}: ${loaded.message}`);
            }
            if (id !== null) named.set(id, currentSkip);
            break;
          }
          const inst = instantiateLoaded(loaded.module);
          if ('error' in inst) {
            const unsupportedImport = inst.error === 'Dmir.Link.UNLINKED_IMPORT';
            currentSkip = unsupportedImport ? 'module imports from a host module outside the profile' : `instantiation failed: ${inst.error}`;
            record(cmd, unsupportedImport ? 'skip' : 'fail', currentSkip);
          } else {
            current = inst.holder;
            record(cmd, 'pass', '');
          }
          if (id !== null) named.set(id, current ?? currentSkip!);
          break;
        }
        case 'register': {
          const nameE = items[1];
          const as = nameE?.kind === 'string' ? new TextDecoder().decode(nameE.bytes) : '';
          const id = atom(items[2]);
          const h = id !== null ? named.get(id) : current ?? currentSkip;
          if (h === undefined || h === null || typeof h === 'string') record(cmd, 'skip', 'registered module is not available');
          else { registered.set(as, h); record(cmd, 'pass', ''); }
          break;
        }
        case 'invoke': case 'get': {
          const r = action(cmd);
          if ('skip' in r) record(cmd, 'skip', r.skip);
          else if ('fail' in r) record(cmd, 'fail', r.fail);
          else record(cmd, 'pass', '');
          break;
        }
        case 'assert_return': {
          const wants = items.slice(2);
          const r = action(items[1]!);
          if ('skip' in r) { record(cmd, 'skip', r.skip); break; }
          if ('fail' in r) { record(cmd, 'fail', r.fail); break; }
          if (r.outcome.kind === 'trap') { record(cmd, 'fail', `trapped ${r.outcome.code}`); break; }
          const got = r.outcome.values;
          const alternatives = (w: SExpr): SExpr[] => (atom(listItems(w)?.[0]) === 'either' ? listItems(w)!.slice(1) : [w]);
          let verdict: Verdict = got.length === wants.length ? 'pass' : 'fail';
          let reason = verdict === 'fail' ? `expected ${wants.length} results, got ${got.length}` : '';
          wants.forEach((w, k) => {
            if (verdict !== 'pass') return;
            const alts = alternatives(w);
            const exp = alts.map((a) => ({ v: constant(a), t: atom(listItems(a)?.[0]) ?? '' }));
            if (exp.some((x) => x.v === null)) { verdict = 'skip'; reason = `result type ${exp.find((x) => x.v === null)!.t} is outside the profile`; return; }
            if (!exp.some((x) => matches(got[k]!, x.v!, x.t))) { verdict = 'fail'; reason = `result ${k}: got ${show(got[k]!)}, expected ${exp.map((x) => String(x.v)).join(' or ')}`; }
          });
          const holder = target(items[1]!);
          if (verdict === 'fail' && got.length === 1 && got[0] === -1 && holder !== null && seesMemoryCeiling(holder.module)) {
            verdict = 'skip';
            reason = 'memory.grow refused by the 256-page profile ceiling (DMIR-LIMIT-MEMORY.1)';
          }
          record(cmd, verdict, reason);
          break;
        }
        case 'assert_trap': case 'assert_exhaustion': {
          const msgE = items[2];
          const msg = msgE?.kind === 'string' ? new TextDecoder().decode(msgE.bytes) : '';
          const want = trapOfMessage(msg);
          const sub = items[1]!;
          if (atom(listItems(sub)?.[0]) === 'module') {
            const loaded = loadModuleForm(listItems(sub)!, load);
            if (loaded.kind === 'rejected') { record(cmd, isProfileCode(loaded.code) ? 'skip' : 'fail', `${loaded.code}: ${loaded.message}`); break; }
            const inst = instantiateLoaded(loaded.module);
            if ('error' in inst && inst.error === 'Dmir.Link.UNLINKED_IMPORT') record(cmd, 'skip', 'module imports from a host module outside the profile');
            else if ('error' in inst && inst.trap && (want === null || inst.error === want)) record(cmd, 'pass', '');
            else record(cmd, 'fail', 'error' in inst ? `instantiation gave ${inst.error}, expected ${msg}` : `instantiation succeeded, expected trap ${msg}`);
            break;
          }
          if (want === null) { record(cmd, 'skip', `trap message ${JSON.stringify(msg)} is outside the profile`); break; }
          const r = action(sub);
          if ('skip' in r) { record(cmd, 'skip', r.skip); break; }
          if ('fail' in r) { record(cmd, 'fail', r.fail); break; }
          // The compiled engine must reach the stack-cost budget too (its deep calls run on the
          // interpreter tier); a host-stack overflow there is a failure, not a skip.
          if (r.outcome.kind === 'trap' && r.outcome.code === want) record(cmd, 'pass', '');
          else record(cmd, 'fail', r.outcome.kind === 'trap' ? `trapped ${r.outcome.code}, expected ${want}` : `returned, expected ${want}`);
          break;
        }
        case 'assert_invalid': case 'assert_malformed': {
          const loaded = loadModuleForm(listItems(items[1]) ?? [], load);
          if (loaded.kind === 'ok') { record(cmd, 'fail', `module was accepted, expected rejection: ${new TextDecoder().decode((items[2] as { bytes?: Uint8Array }).bytes ?? new Uint8Array())}`); break; }
          if (isProfileCode(loaded.code)) { record(cmd, 'skip', `rejected by a profile rule instead: ${loaded.code}`); break; }
          record(cmd, 'pass', '');
          break;
        }
        case 'assert_unlinkable': case 'assert_uninstantiable': {
          const loaded = loadModuleForm(listItems(items[1]) ?? [], load);
          if (loaded.kind === 'rejected') { record(cmd, isProfileCode(loaded.code) ? 'skip' : 'fail', `${loaded.code}: ${loaded.message}`); break; }
          const inst = instantiateLoaded(loaded.module);
          record(cmd, 'error' in inst ? 'pass' : 'fail', 'error' in inst ? '' : 'instantiation succeeded');
          break;
        }
        default:
          record(cmd, 'skip', `script command ${head ?? '?'} is outside the supported script language`);
      }
    } catch (e) {
      if (isTextError(e)) record(cmd, 'fail', `${e.code}: ${e.message}`);
      else throw e;
    }
  }
  if (lazyInstances.length === 0) return { file: name, pass, fail: failN, skip, details };
  const tiers = lazyInstances.map((i) => i.tierCounts()).reduce((a, b) => ({ interpreter: a.interpreter + b.interpreter, native: a.native + b.native }), { interpreter: 0, native: 0 });
  return { file: name, pass, fail: failN, skip, details, tiers };
};

/**
 * Runs every `.wast` file of a directory; null when the directory does not exist (a checkout
 * without the suite), so callers can skip with a clear message.
 */
export const runWastSuite = (dir: string, only?: (file: string) => boolean, executor: Executor = 'interpreter'): FileReport[] | null => {
  if (!existsSync(dir)) return null;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.wast') && (only === undefined || only(f)))
    .sort()
    .map((f) => runWast(readFileSync(join(dir, f), 'utf8'), f, executor));
};
