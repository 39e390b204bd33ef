/**
 * WASM contracts for pipeline transactions: three modules built as bytes by a small typed builder
 * over the dMIR WASM encoder, the host interface they import, and their execution on the dMIR
 * reference interpreter with the host bound to the transaction's view of state.
 *
 * Host interface (module `pharos`), every value an i64 holding an unsigned 64-bit integer:
 * - `arg(i: i32) -> i64`: calldata word i (0 past the end);
 * - `caller() -> i64`: the caller's id (`accountId`);
 * - `sload(key: i64) -> i64`: the contract's storage word at key (0 when absent);
 * - `sstore(key: i64, value: i64)`: writes the contract's storage word at key;
 * - `revert(code: i32)`: ends the call; nothing it wrote is kept.
 * A method is an exported function of type `() -> i64`; its result is the receipt's output.
 *
 * @module
 */
import { type Result, ok, fail } from '../encoding/result.js';
import { keccak256, utf8 } from '../encoding/hash.js';
import type { FuncType } from '../dmir/ir.js';
import type { Instr, WasmModule } from '../dmir/wasm/decode.js';
import { encodeModule } from '../dmir/wasm/encode.js';
import { OP_BY_NAME } from '../dmir/wasm/opcodes.js';
import { instantiateWasm, invokeExport, loadWasm } from '../dmir/wasm/index.js';
import type { Module, Val } from '../dmir/ir.js';

type Account = string;

// ---------------------------------------------------------------------------------------------
// A typed builder: instructions by name, checked against the opcode table when built.

const op = (name: string, imm: Partial<Instr> = {}): Instr => {
  const info = OP_BY_NAME.get(name);
  if (info === undefined) throw new Error(`unknown instruction ${name}`);
  return { op: info.op, ...imm };
};
const w = {
  i32: (v: number): Instr => op('i32.const', { value: v }),
  i64: (v: bigint): Instr => op('i64.const', { value: BigInt.asIntN(64, v) }),
  get: (l: number): Instr => op('local.get', { a: l }),
  set: (l: number): Instr => op('local.set', { a: l }),
  tee: (l: number): Instr => op('local.tee', { a: l }),
  call: (f: number): Instr => op('call', { a: f }),
  if: (): Instr => op('if', { bt: null }),
  loop: (): Instr => op('loop', { bt: null }),
  block: (): Instr => op('block', { bt: null }),
  brIf: (l: number): Instr => op('br_if', { a: l }),
  br: (l: number): Instr => op('br', { a: l }),
  end: (): Instr => op('end'),
  o: (name: string): Instr => op(name),
};

/** Host imports, in function index order. */
export const HOST_IMPORTS = ['arg', 'caller', 'sload', 'sstore', 'revert'] as const;
const ARG = 0, CALLER = 1, SLOAD = 2, SSTORE = 3, REVERT = 4;
const TYPES: readonly FuncType[] = [
  { params: ['i32'], results: ['i64'] }, // arg
  { params: [], results: ['i64'] }, // caller, and every method
  { params: ['i64'], results: ['i64'] }, // sload
  { params: ['i64', 'i64'], results: [] }, // sstore
  { params: ['i32'], results: [] }, // revert
];
const HOST_TYPE = [0, 1, 2, 3, 4] as const;
const METHOD_TYPE = 1;

interface MethodDef { readonly name: string; readonly locals: number; readonly body: readonly Instr[] }

/** A module importing the host interface and exporting each method. */
const contractModule = (methods: readonly MethodDef[]): WasmModule => ({
  types: TYPES,
  imports: HOST_IMPORTS.map((field, i) => ({ module: 'pharos', field, typeIndex: HOST_TYPE[i]! })),
  funcs: methods.map(() => METHOD_TYPE),
  tables: [],
  memories: [],
  globals: [],
  exports: methods.map((m, i) => ({ name: m.name, kind: 'func' as const, index: HOST_IMPORTS.length + i })),
  start: null,
  elems: [],
  datas: [],
  codes: methods.map((m) => ({ locals: new Array(m.locals).fill('i64'), body: [...m.body, w.end()] })),
});

/** `if (cond on stack) revert(code)`. */
const revertIf = (code: number): Instr[] => [w.if(), w.i32(code), w.call(REVERT), w.end()];

/**
 * counter: one word at key 0.
 * - `inc()`: adds arg 0; reverts with 1 on overflow past 2^64 - 1; returns the new value.
 * - `dec()`: subtracts arg 0; reverts with 2 when the word is smaller; returns the new value.
 */
const COUNTER: readonly MethodDef[] = [
  {
    name: 'inc', locals: 2, body: [
      w.i64(0n), w.call(SLOAD), w.set(0),
      w.get(0), w.i32(0), w.call(ARG), w.o('i64.add'), w.tee(1),
      w.get(0), w.o('i64.lt_u'), ...revertIf(1),
      w.i64(0n), w.get(1), w.call(SSTORE), w.get(1),
    ],
  },
  {
    name: 'dec', locals: 2, body: [
      w.i64(0n), w.call(SLOAD), w.tee(0),
      w.i32(0), w.call(ARG), w.tee(1), w.o('i64.lt_u'), ...revertIf(2),
      w.i64(0n), w.get(0), w.get(1), w.o('i64.sub'), w.tee(0), w.call(SSTORE), w.get(0),
    ],
  },
];

/**
 * token: balances keyed by account id.
 * - `mint()`: adds arg 0 to the caller's balance; reverts with 1 on overflow; returns it.
 * - `transfer()`: moves arg 1 from the caller to the account id arg 0; reverts with 3 when the
 *   caller's balance is smaller, with 1 when the recipient's would overflow; returns the caller's
 *   new balance. A transfer to oneself changes nothing.
 */
const TOKEN: readonly MethodDef[] = [
  {
    name: 'mint', locals: 2, body: [
      w.call(CALLER), w.call(SLOAD), w.set(0),
      w.get(0), w.i32(0), w.call(ARG), w.o('i64.add'), w.tee(1),
      w.get(0), w.o('i64.lt_u'), ...revertIf(1),
      w.call(CALLER), w.get(1), w.call(SSTORE), w.get(1),
    ],
  },
  {
    // locals: 0 from, 1 to, 2 amount, 3 from balance, 4 to balance
    name: 'transfer', locals: 5, body: [
      w.call(CALLER), w.set(0), w.i32(0), w.call(ARG), w.set(1), w.i32(1), w.call(ARG), w.set(2),
      w.get(0), w.call(SLOAD), w.tee(3), w.get(2), w.o('i64.lt_u'), ...revertIf(3),
      w.get(0), w.get(1), w.o('i64.ne'),
      w.if(),
      w.get(0), w.get(3), w.get(2), w.o('i64.sub'), w.call(SSTORE),
      w.get(1), w.call(SLOAD), w.get(2), w.o('i64.add'), w.tee(4), w.get(2), w.o('i64.lt_u'), ...revertIf(1),
      w.get(1), w.get(4), w.call(SSTORE),
      w.get(3), w.get(2), w.o('i64.sub'), w.set(3),
      w.end(),
      w.get(3),
    ],
  },
];

/**
 * hotspot: every call writes key 0 (a global counter, total contention) and one of four buckets.
 * - `touch()`: key 0 += 1; bucket 1 + (arg 0 mod 4) += arg 1 (reverts with 1 on overflow); then
 *   mixes a value through arg 2 mod 256 rounds of a 64-bit LCG (pure computation, to give a call
 *   a cost) and reverts with 4 when arg 3 is non-zero and equals the mix mod 16; returns the new
 *   counter.
 */
const HOTSPOT: readonly MethodDef[] = [
  {
    // locals: 0 counter, 1 bucket, 2 bucket value, 3 rounds left, 4 mix
    name: 'touch', locals: 5, body: [
      w.i64(0n), w.i64(0n), w.call(SLOAD), w.i64(1n), w.o('i64.add'), w.tee(0), w.call(SSTORE),
      w.i32(0), w.call(ARG), w.i64(4n), w.o('i64.rem_u'), w.i64(1n), w.o('i64.add'), w.set(1),
      w.get(1), w.call(SLOAD), w.i32(1), w.call(ARG), w.o('i64.add'), w.tee(2),
      w.i32(1), w.call(ARG), w.o('i64.lt_u'), ...revertIf(1),
      w.get(1), w.get(2), w.call(SSTORE),
      w.i32(2), w.call(ARG), w.i64(256n), w.o('i64.rem_u'), w.set(3),
      w.get(0), w.set(4),
      w.block(), w.loop(),
      w.get(3), w.o('i64.eqz'), w.brIf(1),
      w.get(4), w.i64(6364136223846793005n), w.o('i64.mul'), w.i64(1442695040888963407n), w.o('i64.add'), w.set(4),
      w.get(3), w.i64(1n), w.o('i64.sub'), w.set(3),
      w.br(0),
      w.end(), w.end(),
      w.i32(3), w.call(ARG), w.o('i64.eqz'), w.o('i32.eqz'),
      w.if(),
      w.i32(3), w.call(ARG), w.get(4), w.i64(16n), w.o('i64.rem_u'), w.o('i64.eq'), ...revertIf(4),
      w.end(),
      w.get(0),
    ],
  },
];

export const CONTRACT_CODES = ['counter', 'token', 'hotspot'] as const;
export type ContractCode = (typeof CONTRACT_CODES)[number];

const DEFS: Readonly<Record<ContractCode, readonly MethodDef[]>> = { counter: COUNTER, token: TOKEN, hotspot: HOTSPOT };

/** The methods of each contract. @spec PIPE-CONTRACT-CODE.1 */
export const CONTRACT_METHODS: Readonly<Record<ContractCode, readonly string[]>> = {
  counter: COUNTER.map((m) => m.name), token: TOKEN.map((m) => m.name), hotspot: HOTSPOT.map((m) => m.name),
};

/** The binary WASM module of each contract. @spec PIPE-CONTRACT-CODE.1 */
export const contractBytes = (code: ContractCode): Uint8Array => encodeModule(contractModule(DEFS[code]));

const loaded = new Map<ContractCode, Result<Module>>();
/** The contract loaded under the DWASM profile and lowered to dMIR (computed once per code). @spec PIPE-CONTRACT-CODE.1 */
export const contractModuleOf = (code: ContractCode): Result<Module> => {
  let m = loaded.get(code);
  if (m === undefined) { m = loadWasm(contractBytes(code)); loaded.set(code, m); }
  return m;
};

/** The maximum number of calldata words. */
export const MAX_ARGS = 4;
/** The gas each contract call may use. @spec PIPE-CONTRACT-GAS.1 */
export const CONTRACT_GAS = 100_000n;

/**
 * An account's id as contracts see it: the first 8 bytes of Keccak-256 of the UTF-8 of its name,
 * big-endian.
 *
 * @spec PIPE-CONTRACT-HOST.1
 */
export const accountId = (a: Account): bigint => {
  const h = keccak256(utf8(a));
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(h[i]!);
  return v;
};

/** The state key of a contract's storage word. @spec PIPE-STATE-KEYS.2 */
export const contractKey = (contract: Account, key: bigint): string => `wsto/${contract}/${key}`;

export interface ContractEffect {
  readonly status: 'success' | 'revert';
  readonly code: string | null;
  readonly output: bigint;
  readonly writes: ReadonlyMap<string, bigint>;
}

const U64 = (1n << 64n) - 1n;
const toU64 = (v: Val): bigint => BigInt.asUintN(64, v as bigint);

/**
 * Runs a contract method on the dMIR reference interpreter with the host interface bound to the
 * transaction's view of state (`read`: an absent key reads 0; a stored value above 2^64 - 1 reads
 * as its low 64 bits). Storage writes are buffered and returned only on success. A `revert(code)`
 * gives status revert with `Pipeline.Contract.REVERT` and the code as output; any trap (out of
 * gas, unreachable, host error) gives `Pipeline.Contract.TRAP` with output 0.
 *
 * @spec PIPE-CONTRACT-HOST.1 PIPE-CONTRACT-EXEC.1 PIPE-CONTRACT-GAS.1
 */
export const runContract = (
  code: ContractCode, contract: Account, method: string, args: readonly bigint[], from: Account, read: (key: string) => bigint,
): ContractEffect => {
  const trap: ContractEffect = { status: 'revert', code: 'Pipeline.Contract.TRAP', output: 0n, writes: new Map() };
  const m = contractModuleOf(code);
  if (!m.ok) return trap;
  const writes = new Map<string, bigint>();
  let reverted: bigint | null = null;
  const caller = accountId(from);
  const host = (field: string) => {
    switch (field) {
      case 'arg': return (a: readonly Val[]): Result<readonly Val[]> => { const i = a[0] as number; return ok([BigInt.asIntN(64, i >= 0 && i < args.length ? args[i]! : 0n)]); };
      case 'caller': return (): Result<readonly Val[]> => ok([BigInt.asIntN(64, caller)]);
      case 'sload': return (a: readonly Val[]): Result<readonly Val[]> => {
        const k = contractKey(contract, toU64(a[0]!));
        return ok([BigInt.asIntN(64, (writes.get(k) ?? read(k)) & U64)]);
      };
      case 'sstore': return (a: readonly Val[]): Result<readonly Val[]> => { writes.set(contractKey(contract, toU64(a[0]!)), toU64(a[1]!)); return ok([]); };
      case 'revert': return (a: readonly Val[]): Result<readonly Val[]> => { reverted = BigInt((a[0] as number) >>> 0); return fail('Pipeline.Contract.REVERT', 'the contract reverted'); };
      default: return undefined;
    }
  };
  const inst = instantiateWasm(m.value, (mod, field) => (mod === 'pharos' ? host(field) : undefined), { gas: CONTRACT_GAS });
  if (!inst.ok || inst.value.outcome.kind !== 'return') return trap;
  const r = invokeExport(inst.value.instance, method, [], { gas: CONTRACT_GAS });
  if (!r.ok) return trap;
  if (reverted !== null) return { status: 'revert', code: 'Pipeline.Contract.REVERT', output: reverted, writes: new Map() };
  if (r.value.outcome.kind !== 'return') return trap;
  return { status: 'success', code: null, output: toU64(r.value.outcome.values[0]!), writes };
};
