/**
 * A fast-check generator of valid WebAssembly modules inside the profile: typed expression trees
 * over integers and floats, locals, globals, memory loads and stores, blocks, if/else, bounded
 * loops, br_if, br_table, direct and indirect calls (to lower-indexed functions only, so every run
 * terminates), and instructions that trap (division, conversion, unreachable, out-of-bounds
 * access, bad indirect calls).
 */
import fc from 'fast-check';
import type { FuncType, ValType } from '../../model/dmir/ir.js';
import type { Instr, WasmModule } from '../../model/dmir/wasm/decode.js';
import { OPS, PREFIX_FC, type OpInfo } from '../../model/dmir/wasm/opcodes.js';

const I = (op: number, extra: Omit<Instr, 'op'> = {}): Instr => ({ op, ...extra });
const T: readonly ValType[] = ['i32', 'i64', 'f32', 'f64'];

const NUMERIC = OPS.filter((o) => o.imm === 'none' && o.params !== undefined && o.result);
/** The numeric instructions without the 0xFC-prefixed ones, for generators whose output must stay as it was. */
const NUMERIC_1BYTE = NUMERIC.filter((o) => o.op < PREFIX_FC);
const LOADS = OPS.filter((o) => o.imm === 'memarg' && o.result);
const STORES = OPS.filter((o) => o.imm === 'memarg' && !o.result);

/** Interesting constants: boundaries, signs, NaNs with payloads, infinities, subnormals. */
const constOf = (t: ValType): fc.Arbitrary<Instr> => {
  switch (t) {
    case 'i32': return fc.oneof(fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000, 31, 32, 255), fc.integer({ min: -0x80000000, max: 0x7fffffff })).map((v) => I(0x41, { value: v }));
    case 'i64': return fc.oneof(fc.constantFrom(0n, 1n, -1n, (1n << 63n) - 1n, -(1n << 63n), 63n, 64n), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })).map((v) => I(0x42, { value: v }));
    case 'f32': return fc.oneof(fc.constantFrom(0, 0x80000000, 0x7fc00000, 0xffc00000, 0x7fa00000, 0x7f800000, 0xff800000, 0x3f800000, 0x4f000000, 0xcf000000, 1), fc.integer({ min: 0, max: 0xffffffff })).map((v) => I(0x43, { value: v }));
    case 'f64': return fc.oneof(fc.constantFrom(0n, 0x8000000000000000n, 0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff4000000000000n, 0x7ff0000000000000n, 0x3ff0000000000000n, 0x41e0000000000000n, 0x43e0000000000000n, 1n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).map((v) => I(0x44, { value: v }));
  }
};

interface Env {
  readonly locals: readonly ValType[];
  readonly globals: readonly ValType[];
  /** Callable functions (index and type). */
  readonly callees: readonly { readonly index: number; readonly type: FuncType }[];
  readonly types: readonly FuncType[];
  /** The numeric instructions to draw from. */
  readonly numeric: readonly OpInfo[];
}

/** An address: a small value, masked so most accesses land in the first page, some past it. */
const address = (env: Env, depth: number): fc.Arbitrary<Instr[]> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 65535 + 16 }).map((a) => [I(0x41, { value: a })]) },
    { weight: 2, arbitrary: expr(env, 'i32', depth).map((e) => [...e, I(0x41, { value: 0xffff }), I(0x71)]) },
    { weight: 1, arbitrary: expr(env, 'i32', depth) },
  );

const memarg = (size: number): fc.Arbitrary<{ a: number; b: number }> =>
  fc.record({ a: fc.integer({ min: 0, max: Math.log2(size) }), b: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 64 }), fc.constant(65536)) });

const cache = new WeakMap<Env, Map<string, fc.Arbitrary<Instr[]>>>();

/** An instruction sequence that leaves exactly one value of type `t` (arbitraries are shared per environment). */
export const expr = (env: Env, t: ValType, depth: number): fc.Arbitrary<Instr[]> => {
  let m = cache.get(env);
  if (m === undefined) { m = new Map(); cache.set(env, m); }
  const key = `${t}:${depth}`;
  let a = m.get(key);
  if (a === undefined) { a = exprUncached(env, t, depth); m.set(key, a); }
  return a;
};

const exprUncached = (env: Env, t: ValType, depth: number): fc.Arbitrary<Instr[]> => {
  const leaves: fc.Arbitrary<Instr[]>[] = [constOf(t).map((c) => [c])];
  env.locals.forEach((lt, i) => { if (lt === t) leaves.push(fc.constant([I(0x20, { a: i })])); });
  env.globals.forEach((gt, i) => { if (gt === t) leaves.push(fc.constant([I(0x23, { a: i })])); });
  if (depth <= 0) return fc.oneof(...leaves);
  const d = depth - 1;
  const sub = (u: ValType): fc.Arbitrary<Instr[]> => expr(env, u, d);
  const choices: { weight: number; arbitrary: fc.Arbitrary<Instr[]> }[] = [{ weight: 3, arbitrary: fc.oneof(...leaves) }];
  const byResult = (arity: number): readonly OpInfo[] => env.numeric.filter((o) => o.result === t && o.params!.length === arity);
  const un = byResult(1);
  const bin = byResult(2);
  if (un.length > 0) choices.push({ weight: 3, arbitrary: fc.constantFrom(...un).chain((o) => sub(o.params![0]!).map((a) => [...a, I(o.op)])) });
  if (bin.length > 0) choices.push({ weight: 5, arbitrary: fc.constantFrom(...bin).chain((o) => fc.tuple(sub(o.params![0]!), sub(o.params![1]!)).map(([a, b]) => [...a, ...b, I(o.op)])) });
  choices.push({ weight: 1, arbitrary: fc.tuple(sub(t), sub(t), sub('i32')).map(([a, b, c]) => [...a, ...b, ...c, I(0x1b)]) });
  const loads = LOADS.filter((o) => o.result === t);
  choices.push({ weight: 2, arbitrary: fc.tuple(fc.constantFrom(...loads), address(env, d)).chain(([o, addr]) => memarg(o.size!).map((m) => [...addr, I(o.op, m)])) });
  // A block whose value comes either from the end or from a br_if out of it.
  choices.push({
    weight: 1,
    arbitrary: fc.tuple(expr(env, t, d), sub('i32'), sub(t)).map(([early, cond, late]) => [
      I(0x02, { bt: t }), ...early, ...cond, I(0x0d, { a: 0 }), I(0x1a), ...late, I(0x0b),
    ]),
  });
  choices.push({
    weight: 1,
    arbitrary: fc.tuple(sub('i32'), sub(t), sub(t)).map(([c, a, b]) => [...c, I(0x04, { bt: t }), ...a, I(0x05), ...b, I(0x0b)]),
  });
  // br_table selecting one of three nested blocks, each leaving a different value.
  choices.push({
    weight: 1,
    arbitrary: fc.tuple(sub(t), sub(t), sub(t), sub('i32')).map(([a, b, c, idx]) => [
      I(0x02, { bt: t }), I(0x02, { bt: t }), I(0x02, { bt: t }),
      ...a, ...idx, I(0x0e, { targets: [0, 1], a: 2 }),
      I(0x0b), I(0x1a), ...b, I(0x0c, { a: 1 }), I(0x0b), I(0x1a), ...c, I(0x0b),
    ]),
  });
  const callees = env.callees.filter((c) => c.type.results[0] === t);
  if (callees.length > 0) {
    choices.push({ weight: 2, arbitrary: fc.constantFrom(...callees).chain((c) => fc.tuple(...c.type.params.map(sub)).map((args) => [...args.flat(), I(0x10, { a: c.index })])) });
    const typeIdx = env.types.findIndex((ft) => ft.results[0] === t);
    if (typeIdx >= 0) {
      const ft = env.types[typeIdx]!;
      choices.push({
        weight: 1,
        arbitrary: fc.tuple(fc.tuple(...ft.params.map(sub)), fc.integer({ min: 0, max: env.callees.length + 1 })).map(([args, slot]) => [...args.flat(), I(0x41, { value: slot }), I(0x11, { a: typeIdx, b: 0 })]),
      });
    }
  }
  if (t === 'i32') choices.push({ weight: 1, arbitrary: fc.constant([I(0x3f, { b: 0 })]) });
  if (t === 'i32') choices.push({ weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((n) => [I(0x41, { value: n }), I(0x40, { b: 0 })]) });
  return fc.oneof(...choices);
};

/** A statement: leaves the stack unchanged. */
const stmt = (env: Env, depth: number, counter: number): fc.Arbitrary<Instr[]> => {
  const choices: fc.Arbitrary<Instr[]>[] = [];
  env.locals.forEach((lt, i) => { if (i !== counter) choices.push(expr(env, lt, depth).map((e) => [...e, I(0x21, { a: i })])); });
  env.globals.forEach((gt, i) => choices.push(expr(env, gt, depth).map((e) => [...e, I(0x24, { a: i })])));
  choices.push(fc.tuple(fc.constantFrom(...STORES), address(env, depth)).chain(([o, addr]) =>
    fc.tuple(expr(env, o.params![1]!, depth), memarg(o.size!)).map(([v, m]) => [...addr, ...v, I(o.op, m)])));
  choices.push(fc.constantFrom(...T).chain((t) => expr(env, t, depth).map((e) => [...e, I(0x1a)])));
  choices.push(fc.tuple(expr(env, 'i32', depth), fc.boolean()).map(([c, trap]) => (trap ? [...c, I(0x04, { bt: null }), I(0x00), I(0x0b)] : [...c, I(0x1a)])));
  return fc.oneof(...choices);
};

/** A bounded loop: the counter local counts down from a small constant to zero. */
const loop = (env: Env, depth: number, counter: number): fc.Arbitrary<Instr[]> =>
  fc.tuple(fc.integer({ min: 0, max: 5 }), fc.array(stmt(env, depth, counter), { maxLength: 3 })).map(([n, body]) => [
    I(0x41, { value: n }), I(0x21, { a: counter }),
    I(0x03, { bt: null }), ...body.flat(),
    I(0x20, { a: counter }), I(0x41, { value: 1 }), I(0x6b), I(0x22, { a: counter }), I(0x41, { value: 0 }), I(0x4a), I(0x0d, { a: 0 }),
    I(0x0b),
  ]);

export interface GeneratedModule {
  readonly module: WasmModule;
  /** Calls to make, in order, on one instance: export name and argument values. */
  readonly calls: readonly { readonly name: string; readonly args: readonly (number | bigint)[] }[];
}

const argOf = (t: ValType): fc.Arbitrary<number | bigint> =>
  constOf(t).map((i) => i.value!);

/**
 * A whole module: 1 to 4 functions, a memory, a table over the functions, globals, a data segment.
 * `saturating` adds the 0xFC-prefixed saturating conversions to the instruction mix; it is off by
 * default so that seeded samples (the vectors) stay what they were before those instructions.
 */
export const wasmModule = (opts: { depth?: number; saturating?: boolean } = {}): fc.Arbitrary<GeneratedModule> => {
  const depth = opts.depth ?? 3;
  const numeric = opts.saturating === true ? NUMERIC : NUMERIC_1BYTE;
  const sig = fc.record({ params: fc.array(fc.constantFrom(...T), { maxLength: 3 }), results: fc.constantFrom(...T).map((t) => [t]) });
  return fc.tuple(
    fc.array(sig, { minLength: 1, maxLength: 4 }),
    fc.array(fc.constantFrom(...T).map((t) => [t] as const), { maxLength: 3 }),
    fc.array(fc.constantFrom(...T), { maxLength: 3 }),
  ).chain(([sigs, globalsSpec, extraLocals]) => {
    const types: FuncType[] = sigs;
    const globalTypes = globalsSpec.map(([t]) => t);
    const bodies = sigs.map((ft, fi) => {
      const locals: ValType[] = [...ft.params, ...extraLocals, 'i32'];
      const counter = locals.length - 1;
      const env: Env = { locals, globals: globalTypes, callees: sigs.slice(0, fi).map((type, index) => ({ index, type })), types, numeric };
      return fc.tuple(fc.array(fc.oneof({ weight: 3, arbitrary: stmt(env, depth - 1, counter) }, { weight: 1, arbitrary: loop(env, depth - 2, counter) }), { maxLength: 4 }), expr(env, ft.results[0]!, depth))
        .map(([ss, e]) => ({ locals: [...extraLocals, 'i32' as ValType], body: [...ss.flat(), ...e, I(0x0b)] }));
    });
    const globalInits = globalsSpec.map(([t]) => constOf(t));
    const calls = fc.array(fc.integer({ min: 0, max: sigs.length - 1 }).chain((fi) => fc.tuple(...sigs[fi]!.params.map(argOf)).map((args) => ({ name: `f${fi}`, args }))), { minLength: 1, maxLength: 4 });
    return fc.tuple(fc.tuple(...bodies), fc.tuple(...globalInits), calls, fc.uint8Array({ maxLength: 16 })).map(([codes, inits, cs, data]) => ({
      module: {
        types,
        imports: [],
        funcs: sigs.map((_, i) => i),
        tables: [{ min: sigs.length + 1, max: null }],
        memories: [{ min: 1, max: 2 }],
        globals: globalsSpec.map(([t], i) => ({ type: t, mutable: true, init: [inits[i]!, I(0x0b)] })),
        exports: [...sigs.map((_, i) => ({ name: `f${i}`, kind: 'func' as const, index: i })), { name: 'memory', kind: 'memory' as const, index: 0 }],
        start: null,
        elems: [{ offset: [I(0x41, { value: 0 }), I(0x0b)], funcs: sigs.map((_, i) => i) }],
        datas: [{ offset: [I(0x41, { value: 8 }), I(0x0b)], bytes: data }],
        codes,
      },
      calls: cs,
    }));
  });
};

/** Float instructions whose NaN results the profile canonicalises (DMIR-DET-NAN.1). */
const CANONICALISED: ReadonlySet<string> = new Set([
  'add', 'sub', 'mul', 'div', 'sqrt', 'min', 'max', 'ceil', 'floor', 'trunc', 'nearest', 'demote_f64', 'promote_f32',
]);

/**
 * Rewrites a module so that an engine without NaN canonicalisation (V8) computes the profile's
 * results: after every canonicalising float instruction, a NaN is replaced by the canonical NaN
 * with `select`. Two scratch locals (f32, f64) are appended to every function.
 */
export const canonicaliseNans = (m: WasmModule): WasmModule => ({
  ...m,
  codes: m.codes.map((c, i) => {
    const ft = m.types[m.funcs[i]!]!;
    const base = ft.params.length + c.locals.length;
    const tmp = { f32: base, f64: base + 1 } as const;
    const body: Instr[] = [];
    for (const ins of c.body) {
      body.push(ins);
      const info = OPS.find((o) => o.op === ins.op);
      const [prefix, suffix] = (info?.name ?? '').split('.');
      if (info?.imm === 'none' && (prefix === 'f32' || prefix === 'f64') && CANONICALISED.has(suffix ?? '')) {
        const t = prefix;
        // select(x, canon, x == x) keeps x unless it is NaN.
        body.push(
          I(0x22, { a: tmp[t] }), I(0x1a),
          I(0x20, { a: tmp[t] }),
          t === 'f32' ? I(0x43, { value: 0x7fc00000 }) : I(0x44, { value: 0x7ff8000000000000n }),
          I(0x20, { a: tmp[t] }), I(0x20, { a: tmp[t] }), I(t === 'f32' ? 0x5b : 0x61),
          I(0x1b),
        );
      }
    }
    return { locals: [...c.locals, 'f32', 'f64'], body };
  }),
});

/** A byte edit of an encoded module: overwrite, cut or insert at a position (taken modulo the length). */
export const byteMutation = fc.record({ kind: fc.constantFrom('set', 'truncate', 'insert'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });
export type ByteMutation = typeof byteMutation extends fc.Arbitrary<infer T> ? T : never;

/** `bytes` with the mutations applied in order (the input is not modified). */
export const applyMutations = (bytes: Uint8Array, ms: readonly ByteMutation[]): Uint8Array => {
  let b = bytes;
  for (const x of ms) {
    const at = x.at % (b.length + 1);
    if (x.kind === 'set' && at < b.length) { b = b.slice(); b[at] = x.value; }
    if (x.kind === 'truncate') b = b.slice(0, at);
    if (x.kind === 'insert') b = Uint8Array.from([...b.slice(0, at), x.value, ...b.slice(at)]);
  }
  return b;
};
