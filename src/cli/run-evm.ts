/**
 * `pharos-spec run evm <hex|file|address> --calldata 0x.. [--gas n] [--value n] [--trace] [--state file.json]`:
 * runs one bare message call (EVM-CALL-EXECUTE.1) on the EVM model and prints the status, the gas
 * used, the return data and the logs; `--trace` first prints an EIP-3155 trace as JSON lines. The
 * code may be EVM bytecode or a WASM contract (binary `.wasm` or text `.wat`), which runs through
 * the cross-VM host (EVM-XVM-DETECT.1).
 */
import { readFile } from 'node:fs/promises';
import type { CommandSpec, ParsedArgs } from './args.js';
import type { Io } from './commands.js';
import { bytesToHex, parseJson } from '../model/encoding/index.js';
import { watToWasm } from '../conformance/wast/wat.js';
import { isTextError } from '../conformance/wast/sexpr.js';
import { executeCall, isWasmCode, type Account, type Address, type BlockEnv, type TraceStep, type Tracer, type WorldState } from '../model/evm/index.js';

/** Where code given on the command line is deployed, and the default caller. */
export const RUN_EVM_TARGET: Address = '0x00000000000000000000000000000000000c0de0';
export const RUN_EVM_CALLER: Address = '0x000000000000000000000000000000000ca11e40';

/** The block the command runs in (chain id 1, as the state tests). */
export const RUN_EVM_BLOCK: BlockEnv = {
  coinbase: '0x' + '00'.repeat(19) + 'c0', number: 1000n, timestamp: 1_700_000_000n, gasLimit: 30_000_000n, baseFee: 7n,
  prevRandao: 0n, chainId: 1n, blobBaseFee: 1n, blockHashes: [],
};

/** Opcode names for traces (EIP-3155 `opName`); undefined bytes print as INVALID. */
const OP_NAMES: readonly string[] = (() => {
  const n: string[] = new Array<string>(256).fill('INVALID');
  const set = (start: number, names: string): void => { names.split(' ').forEach((x, i) => { if (x !== '-') n[start + i] = x; }); };
  set(0x00, 'STOP ADD MUL SUB DIV SDIV MOD SMOD ADDMOD MULMOD EXP SIGNEXTEND');
  set(0x10, 'LT GT SLT SGT EQ ISZERO AND OR XOR NOT BYTE SHL SHR SAR');
  set(0x20, 'KECCAK256');
  set(0x30, 'ADDRESS BALANCE ORIGIN CALLER CALLVALUE CALLDATALOAD CALLDATASIZE CALLDATACOPY CODESIZE CODECOPY GASPRICE EXTCODESIZE EXTCODECOPY RETURNDATASIZE RETURNDATACOPY EXTCODEHASH');
  set(0x40, 'BLOCKHASH COINBASE TIMESTAMP NUMBER PREVRANDAO GASLIMIT CHAINID SELFBALANCE BASEFEE BLOBHASH BLOBBASEFEE');
  set(0x50, 'POP MLOAD MSTORE MSTORE8 SLOAD SSTORE JUMP JUMPI PC MSIZE GAS JUMPDEST TLOAD TSTORE MCOPY PUSH0');
  for (let i = 1; i <= 32; i++) n[0x5f + i] = `PUSH${i}`;
  for (let i = 1; i <= 16; i++) { n[0x7f + i] = `DUP${i}`; n[0x8f + i] = `SWAP${i}`; }
  for (let i = 0; i <= 4; i++) n[0xa0 + i] = `LOG${i}`;
  set(0xf0, 'CREATE CALL CALLCODE RETURN DELEGATECALL CREATE2 - - - - STATICCALL - - REVERT INVALID SELFDESTRUCT');
  return n;
})();

const hex0x = (v: bigint): string => `0x${v.toString(16)}`;
const HEX = /^0x([0-9a-fA-F]{2})*$/;
const DEC_OR_HEX = /^(0|[1-9][0-9]*|0x[0-9a-fA-F]+)$/;

type Bad = { readonly code: string; readonly message: string };
const isBad = (v: unknown): v is Bad => typeof v === 'object' && v !== null && 'code' in v && 'message' in v && !(v instanceof Uint8Array);

const hexBytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.slice(2), 'hex'));


/** The code argument: 0x-hex, a `.wat` file, a binary `.wasm` file, or a file holding hex text. */
const readCode = async (arg: string): Promise<Uint8Array | Bad> => {
  if (arg.startsWith('0x')) return HEX.test(arg) ? hexBytes(arg) : { code: 'Cli.BAD_VALUE', message: `run evm: code ${JSON.stringify(arg.slice(0, 20))} is not 0x-prefixed hex of whole bytes` };
  let raw: Uint8Array;
  try { raw = new Uint8Array(await readFile(arg)); } catch (e) { return { code: 'Cli.READ_FAILED', message: `run evm: cannot read ${arg}: ${(e as Error).message}` }; }
  if (isWasmCode(raw)) return raw;
  const text = new TextDecoder().decode(raw).trim();
  if (arg.endsWith('.wat')) {
    try { return watToWasm(text); } catch (e) { if (isTextError(e)) return { code: e.code, message: `${arg}: ${e.message}` }; throw e; }
  }
  const h = text.startsWith('0x') ? text : `0x${text}`;
  return HEX.test(h) ? hexBytes(h) : { code: 'Cli.BAD_VALUE', message: `run evm: ${arg} holds neither WASM nor hex bytecode` };
};

/**
 * A state file: `{"caller"?: "0x..", "accounts": {"0x<address>": {"balance"?, "nonce"?, "code"?, "storage"?}}}`
 * with integers as decimal or 0x-hex strings and code as 0x-hex (the `pre` shape of the state tests).
 */
const readState = async (path: string): Promise<{ readonly state: WorldState; readonly caller: Address | null } | Bad> => {
  const bad = (message: string): Bad => ({ code: 'Cli.STATE_FILE_INVALID', message: `run evm: ${path}: ${message}` });
  let text: string;
  try { text = await readFile(path, 'utf8'); } catch (e) { return { code: 'Cli.READ_FAILED', message: `run evm: cannot read ${path}: ${(e as Error).message}` }; }
  const parsed = parseJson(text);
  if (!parsed.ok) return bad(parsed.error.message);
  const doc = parsed.value as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return bad('the top level must be an object');
  const d = doc as Record<string, unknown>;
  const accounts = d['accounts'];
  if (typeof accounts !== 'object' || accounts === null || Array.isArray(accounts)) return bad('"accounts" must be an object of addresses');
  const addr = (a: string): Address | null => (/^0x[0-9a-fA-F]{40}$/.test(a) ? a.toLowerCase() : null);
  const int = (v: unknown, where: string): bigint | Bad => (v === undefined ? 0n : typeof v === 'string' && DEC_OR_HEX.test(v) ? BigInt(v) : bad(`${where} must be a decimal or 0x-hex string`));
  const state = new Map<Address, Account>();
  for (const [a, raw] of Object.entries(accounts as Record<string, unknown>)) {
    const address = addr(a);
    if (address === null) return bad(`account key ${JSON.stringify(a)} is not a 20-byte 0x address`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad(`account ${a} must be an object`);
    const r = raw as Record<string, unknown>;
    const balance = int(r['balance'], `${a}.balance`), nonce = int(r['nonce'], `${a}.nonce`);
    if (isBad(balance)) return balance;
    if (isBad(nonce)) return nonce;
    const codeText = r['code'] ?? '0x';
    if (typeof codeText !== 'string' || !HEX.test(codeText)) return bad(`${a}.code must be 0x-hex of whole bytes`);
    const storage = new Map<bigint, bigint>();
    const st = r['storage'] ?? {};
    if (typeof st !== 'object' || st === null || Array.isArray(st)) return bad(`${a}.storage must be an object`);
    for (const [k, v] of Object.entries(st as Record<string, unknown>)) {
      const key = int(k, `${a}.storage key ${k}`), val = int(v, `${a}.storage[${k}]`);
      if (isBad(key)) return key;
      if (isBad(val)) return val;
      if (val !== 0n) storage.set(key, val);
    }
    state.set(address, { balance, nonce, code: hexBytes(codeText), storage });
  }
  const callerRaw = d['caller'];
  if (callerRaw !== undefined && (typeof callerRaw !== 'string' || addr(callerRaw) === null)) return bad('"caller" must be a 20-byte 0x address');
  return { state, caller: typeof callerRaw === 'string' ? addr(callerRaw) : null };
};

/**
 * Collects EIP-3155 lines: each step is printed when the next step of the same frame (or the
 * frame's end) shows how much gas it consumed, so `gasCost` includes what a child frame used.
 *
 * @spec EVM-CLI-TRACE.1
 */
const eip3155 = (emit: (line: string) => void): Tracer => {
  const pending: TraceStep[] = [];
  const flush = (s: TraceStep, gasAfter: bigint): void => emit(JSON.stringify({
    pc: s.pc, op: s.op, gas: hex0x(s.gas), gasCost: hex0x(s.gas - gasAfter), memSize: s.memSize,
    stack: s.stack.map(hex0x), depth: s.depth, refund: Number(s.refund), opName: OP_NAMES[s.op],
  }));
  return {
    step: (s) => {
      const prev = pending[pending.length - 1];
      if (prev !== undefined && prev.depth === s.depth) { pending.pop(); flush(prev, s.gas); }
      pending.push(s);
    },
    end: (depth, gasLeft) => {
      const prev = pending[pending.length - 1];
      if (prev !== undefined && prev.depth === depth) { pending.pop(); flush(prev, gasLeft); }
    },
  };
};

const usageError = (io: Io, code: string, message: string): number => { io.err(`${code}: ${message}`); return 2; };

/** @spec EVM-CLI-RUN.1 EVM-CLI-TRACE.1 EVM-CALL-EXECUTE.1 */
export const runEvmCommand: CommandSpec & { readonly run: (args: ParsedArgs, io: Io) => Promise<number> } = {
  name: 'run evm',
  summary: 'Run one message call on the EVM model (EVM bytecode, or a WASM contract through the cross-VM host) and print status, gas, return data and logs.',
  options: [
    { name: 'calldata', value: '0x..', help: 'input data (default empty)' },
    { name: 'gas', value: 'n', help: 'gas given to the call (default 10000000)' },
    { name: 'value', value: 'n', help: 'wei sent with the call (default 0)' },
    { name: 'state', value: 'file.json', help: 'pre-state: {"caller"?, "accounts": {"0x<address>": {balance, nonce, code, storage}}}' },
    { name: 'trace', help: 'print an EIP-3155 trace (JSON lines) of the EVM instructions first' },
  ],
  positionals: ['hex|file|address'],
  run: async (args, io) => {
    const target = args.positionals[0];
    if (target === undefined) return usageError(io, 'Cli.MISSING_ARGUMENT', 'run evm needs <hex|file|address>: the code to run, or an account of --state');
    const calldataText = args.options.get('calldata')?.[0] ?? '0x';
    if (!HEX.test(calldataText)) return usageError(io, 'Cli.BAD_VALUE', `--calldata must be 0x-prefixed hex of whole bytes, got ${JSON.stringify(calldataText.slice(0, 20))}`);
    const num = (name: string, fallback: bigint): bigint | null => {
      const raw = args.options.get(name)?.[0];
      return raw === undefined ? fallback : DEC_OR_HEX.test(raw) ? BigInt(raw) : null;
    };
    const gas = num('gas', 10_000_000n), value = num('value', 0n);
    if (gas === null) return usageError(io, 'Cli.BAD_VALUE', `--gas must be a non-negative integer, got ${JSON.stringify(args.options.get('gas')?.[0])}`);
    if (value === null) return usageError(io, 'Cli.BAD_VALUE', `--value must be a non-negative integer, got ${JSON.stringify(args.options.get('value')?.[0])}`);

    let state: WorldState = new Map();
    let caller: Address = RUN_EVM_CALLER;
    const statePath = args.options.get('state')?.[0];
    if (statePath !== undefined) {
      const s = await readState(statePath);
      if (isBad(s)) return usageError(io, s.code, s.message);
      state = s.state;
      caller = s.caller ?? caller;
    }
    let to: Address;
    // With a state file, 20 bytes of hex name an account of the state, never code.
    if (/^0x[0-9a-fA-F]{40}$/.test(target) && statePath !== undefined) {
      to = target.toLowerCase();
      if (!state.has(to)) return usageError(io, 'Cli.UNKNOWN_ACCOUNT', `run evm: ${target} is not an account of ${statePath}`);
    } else {
      const code = await readCode(target);
      if (isBad(code)) return usageError(io, code.code, code.message);
      to = RUN_EVM_TARGET;
      const prev = state.get(to);
      state = new Map(state).set(to, { nonce: prev?.nonce ?? 1n, balance: prev?.balance ?? 0n, storage: prev?.storage ?? new Map(), code });
    }
    // A caller absent from the state can pay the value (and a little more), so a call is always made.
    if (!state.has(caller)) state = new Map(state).set(caller, { nonce: 0n, balance: value + 10n ** 18n, code: new Uint8Array(0), storage: new Map() });

    const tracer = args.flags.has('trace') ? eip3155(io.out) : undefined;
    const r = executeCall(state, RUN_EVM_BLOCK, 10n, { caller, to, value, data: hexBytes(calldataText), gas }, tracer);
    if (!r.ok) { io.err(`${r.error.code}: ${r.error.message}`); return 1; }
    const o = r.value;
    if (tracer !== undefined) io.out(JSON.stringify({ output: bytesToHex(o.output).slice(2), gasUsed: hex0x(o.gasUsed), ...(o.status === 'success' ? {} : { error: o.reason }) }));
    io.out(`status: ${o.status}${o.reason === '' ? '' : ` (${o.reason})`}`);
    io.out(`gas used: ${o.gasUsed}`);
    io.out(`return: ${bytesToHex(o.output)}`);
    io.out(`logs: ${o.logs.length}`);
    o.logs.forEach((l, i) => io.out(`  log ${i}: address ${l.address} topics [${l.topics.map((t) => bytesToHex(t)).join(', ')}] data ${bytesToHex(l.data)}`));
    const touched = [...o.state].filter(([a, acc]) => acc.storage.size > 0 && (state.get(a)?.storage !== acc.storage));
    for (const [a, acc] of touched) io.out(`storage ${a}: ${[...acc.storage].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([k, v]) => `${hex0x(k)}=${hex0x(v)}`).join(' ')}`);
    return 0;
  },
};
