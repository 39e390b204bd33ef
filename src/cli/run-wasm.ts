/**
 * `pharos-spec run wasm <file.wasm|file.wat> --invoke f [args...]`: loads a module through the
 * WASM profile, invokes one export on the reference interpreter or the compiled engine, and prints
 * the result or trap and the gas used; `--trace` also prints the invoked function's dMIR.
 */
import { readFile } from 'node:fs/promises';
import type { CommandSpec, ParsedArgs } from './args.js';
import type { Io } from './commands.js';
import { loadWasm, instantiateWasm, invokeExport } from '../model/dmir/wasm/index.js';
import { TRAP_CODES, type Block, type Expr, type Stmt, type Terminator, type Val, type ValType } from '../model/dmir/ir.js';
import { watToWasm } from '../conformance/wast/wat.js';
import { isWasmCode } from '../model/evm/crossvm.js';
import { isTextError, parseFloatBits, parseInt_ } from '../conformance/wast/sexpr.js';
import { instantiateEngine } from '../impl/dmir/engine.js';

const argOf = (t: ValType, text: string): Val =>
  t === 'i32' ? Number(parseInt_(text, 32)) : t === 'i64' ? parseInt_(text, 64) : t === 'f32' ? Number(parseFloatBits(text, 32)) : parseFloatBits(text, 64);

const showVal = (t: ValType, v: Val): string => {
  if (t === 'f32') { const d = new DataView(new ArrayBuffer(4)); d.setUint32(0, v as number); return `f32:${d.getFloat32(0)} (0x${(v as number).toString(16).padStart(8, '0')})`; }
  if (t === 'f64') { const d = new DataView(new ArrayBuffer(8)); d.setBigUint64(0, v as bigint); return `f64:${d.getFloat64(0)} (0x${(v as bigint).toString(16).padStart(16, '0')})`; }
  return `${t}:${v}`;
};

/** A compact text form of dMIR, after DTVM's printed MIR. */
const expr = (e: Expr): string => {
  switch (e.op) {
    case 'const': return `const.${e.type} ${e.value}`;
    case 'dread': return `$${e.variable}`;
    case 'unary': return `${e.kind}.${e.type}(${expr(e.arg)})`;
    case 'binary': return `${e.kind}.${e.type}(${expr(e.lhs)}, ${expr(e.rhs)})`;
    case 'convert': return `${e.kind}.${e.type}(${expr(e.arg)})`;
    case 'cmp': return `cmp ${e.pred}(${expr(e.lhs)}, ${expr(e.rhs)})`;
    case 'select': return `select(${expr(e.cond)}, ${expr(e.ifTrue)}, ${expr(e.ifFalse)})`;
    case 'load': return `load.${e.type}(${expr(e.base)} + ${e.offset})`;
    case 'global_get': return `global ${e.index}`;
    case 'memory_size': return 'memory_size';
  }
};
const dests = (ds: readonly number[]): string => (ds.length === 0 ? '' : `${ds.map((d) => `$${d}`).join(', ')} = `);
const stmt = (s: Stmt): string => {
  switch (s.op) {
    case 'dassign': return `$${s.variable} = ${expr(s.value)}`;
    case 'store': return `store.${s.type}(${expr(s.base)} + ${s.offset}, ${expr(s.value)})`;
    case 'global_set': return `global ${s.index} = ${expr(s.value)}`;
    case 'call': return `${dests(s.dests)}call f${s.func}(${s.args.map(expr).join(', ')})`;
    case 'icall': return `${dests(s.dests)}icall type${s.typeIndex} [${expr(s.index)}](${s.args.map(expr).join(', ')})`;
    case 'memory_grow': return `$${s.dest} = memory_grow(${expr(s.delta)})`;
    case 'use_gas': return `use_gas(${expr(s.amount)})`;
  }
};
const term = (t: Terminator): string => {
  switch (t.op) {
    case 'br': return `br @${t.target}`;
    case 'br_if': return `br_if ${expr(t.cond)}, @${t.then}, @${t.else}`;
    case 'switch': return `switch ${expr(t.index)} [${t.targets.map((x) => `@${x}`).join(' ')}] default @${t.default}`;
    case 'return': return `return${t.values.length === 0 ? '' : ` ${t.values.map(expr).join(', ')}`}`;
    case 'trap': return `trap ${t.code}`;
  }
};
const blocks = (bs: readonly Block[]): string => bs.map((b, i) => [`  @${i}:`, ...b.stmts.map((s) => `    ${stmt(s)}`), `    ${term(b.term)}`].join('\n')).join('\n');

export const runWasmCommand: CommandSpec & { readonly run: (args: ParsedArgs, io: Io) => Promise<number> } = {
  name: 'run wasm',
  summary: 'Load a WebAssembly module (binary or text) through the dMIR WASM profile and invoke one export.',
  options: [
    { name: 'invoke', value: 'export', help: 'the exported function to call (required)' },
    { name: 'gas', value: 'n', help: 'gas available to __instrumented_use_gas (default 0)' },
    { name: 'engine', value: 'interpreter|compiled', help: 'execution mode (default interpreter); results are identical' },
    { name: 'trace', help: 'print the dMIR of the invoked function' },
  ],
  positionals: ['file', 'args...'],
  run: async (args, io) => {
    const [file, ...rest] = args.positionals;
    const name = args.options.get('invoke')?.[0];
    if (file === undefined || name === undefined) { io.err('Cli.MISSING_ARGUMENT: run wasm needs <file> and --invoke <export>'); return 2; }
    const engineName = args.options.get('engine')?.[0] ?? 'interpreter';
    if (engineName !== 'interpreter' && engineName !== 'compiled') { io.err(`Cli.BAD_VALUE: --engine must be interpreter or compiled, got ${JSON.stringify(engineName)}`); return 2; }
    const gasText = args.options.get('gas')?.[0] ?? '0';
    if (!/^(0|[1-9][0-9]*)$/.test(gasText)) { io.err(`Cli.BAD_VALUE: --gas must be a non-negative integer, got ${JSON.stringify(gasText)}`); return 2; }
    const gas = BigInt(gasText);
    let bytes: Uint8Array;
    try {
      const raw = new Uint8Array(await readFile(file));
      bytes = isWasmCode(raw) ? raw : watToWasm(new TextDecoder().decode(raw));
    } catch (e) {
      if (isTextError(e)) { io.err(`${e.code}: ${e.message}`); return 1; }
      io.err(`Cli.READ_FAILED: cannot read ${file}: ${(e as Error).message}`);
      return 1;
    }
    const loaded = loadWasm(bytes);
    if (!loaded.ok) { io.err(`${loaded.error.code}: ${loaded.error.message}`); return 1; }
    const m = loaded.value;
    const ex = m.exports.find((x) => x.kind === 'func' && x.name === name);
    if (ex === undefined) { io.err(`Wasm.Invoke.UNKNOWN_EXPORT: no exported function ${JSON.stringify(name)}`); return 1; }
    const f = m.funcs[ex.index]!;
    if (rest.length !== f.type.params.length) { io.err(`Wasm.Invoke.BAD_ARGUMENTS: ${name} takes (${f.type.params.join(' ')}), given ${rest.length} arguments`); return 1; }
    let values: Val[];
    try {
      values = rest.map((a, i) => argOf(f.type.params[i]!, a));
    } catch (e) {
      if (isTextError(e)) { io.err(`Wasm.Invoke.BAD_ARGUMENTS: ${e.message}`); return 1; }
      throw e;
    }
    if (args.flags.has('trace') && f.kind === 'defined') io.out(`dMIR of ${name} (frame cost ${f.frameCost} bytes, ${f.vars.length} variables):\n${blocks(f.blocks)}`);
    const host = (): undefined => undefined;
    let outcome;
    let gasLeft: bigint;
    if (engineName === 'compiled') {
      const inst = instantiateEngine(m, host, { gas });
      if (!inst.ok) { io.err(`${inst.error.code}: ${inst.error.message}`); return 1; }
      ({ outcome, gasLeft } = inst.value.invoke(name, values, gas));
    } else {
      const inst = instantiateWasm(m, host, { gas });
      if (!inst.ok) { io.err(`${inst.error.code}: ${inst.error.message}`); return 1; }
      const r = invokeExport(inst.value.instance, name, values, { gas });
      if (!r.ok) { io.err(`${r.error.code}: ${r.error.message}`); return 1; }
      ({ outcome, gasLeft } = r.value);
    }
    if (outcome.kind === 'trap') io.out(`trap: ${outcome.code}${TRAP_CODES[outcome.code] === null ? '' : ` (${TRAP_CODES[outcome.code]})`}`);
    else io.out(`result: ${outcome.values.length === 0 ? '(none)' : outcome.values.map((v) => showVal(f.type.results[0]!, v)).join(' ')}`);
    io.out(`gas used: ${gas - gasLeft}`);
    return 0;
  },
};
