import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../encoding/index.js';
import { watToWasm } from '../../conformance/wast/wat.js';
import { executeCall, executeTransaction, maxMessageCallGas, type Account, type Address, type BlockEnv, type TraceStep, type WorldState } from './index.js';
import { bindEnvImports } from './crossvm-bind.js';
import { executeWasmCode, isWasmCode, XVM_CALL_RESULT } from './crossvm.js';
import { loadWasm } from '../dmir/wasm/index.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/cross-vm/', import.meta.url));
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/^0x/, ''), 'hex'));
const w = (v: bigint): string => v.toString(16).padStart(64, '0');
const BLOCK: BlockEnv = { coinbase: '0x' + '00'.repeat(19) + 'c0', number: 1000n, timestamp: 1n, gasLimit: 30_000_000n, baseFee: 7n, prevRandao: 0n, chainId: 1n, blobBaseFee: 1n, blockHashes: [] };
const USER: Address = '0x3000000000000000000000000000000000000001';
const acc = (code: Uint8Array | string, balance = 0n): Account => ({ nonce: 1n, balance, code: typeof code === 'string' ? hex(code) : code, storage: new Map() });
const world = (accounts: Record<string, Account>): WorldState => new Map<Address, Account>([[USER, { nonce: 0n, balance: 10n ** 18n, code: new Uint8Array(0), storage: new Map() }], ...Object.entries(accounts)]);
const call = (pre: WorldState, to: Address, data = '', value = 0n, gas = 1_000_000n, tracer?: { step: (s: TraceStep) => void; end: () => void }) => {
  const r = executeCall(pre, BLOCK, 10n, { caller: USER, to, value, data: hex(data), gas }, tracer);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const slot = (s: WorldState, a: Address, k: bigint): bigint => s.get(a)?.storage.get(k) ?? 0n;

/** The example's EVM forwarder ("shop") with a chosen target: forwards calldata and value with all gas. */
const forwarder = (target: Address): string => '365f5f3760205f365f3473' + target.slice(2) + '5af180600155602f573d5f5f3e3d5ffd5b5f515f55600160205fa160205ff3';

const WASM_HEAD = `(memory 1) (func $gas (export "__instrumented_use_gas") (param i64))`;
const wat = (imports: string, body: string): Uint8Array => watToWasm(`(module ${imports} ${WASM_HEAD} ${body})`);

// A WASM contract answering getGasLeft as a word: the gas its frame received minus 2.
const REPORTER = wat(`(import "env" "getGasLeft" (func $g (result i64))) (import "env" "finish" (func $finish (param i32 i32)))`,
  `(func (export "call") (i64.store8 (i32.const 31) (i64.const 0)) (call $store (call $g)) (call $finish (i32.const 0) (i32.const 32)))
   (func $store (param $v i64) (local $i i32) (local.set $i (i32.const 31))
     (block $d (loop $l (br_if $d (i32.lt_s (local.get $i) (i32.const 24)))
       (i64.store8 (local.get $i) (local.get $v)) (local.set $v (i64.shr_u (local.get $v) (i64.const 8)))
       (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br $l))))`);
// A WASM contract that reverts with "nope" after writing storage.
const REVERTER = wat(`(import "env" "storageStore" (func $ss (param i32 i32))) (import "env" "revert" (func $revert (param i32 i32)))`,
  `(data (i32.const 0) "nope") (func (export "call") (call $ss (i32.const 32) (i32.const 0)) (call $revert (i32.const 0) (i32.const 4)))`);
// A WASM contract that calls its caller back with one byte of input and then stops.
const REENTER = wat(`(import "env" "getCaller" (func $caller (param i32))) (import "env" "getGasLeft" (func $g (result i64)))
  (import "env" "callContract" (func $call (param i64 i32 i32 i32 i32) (result i32)))`,
  `(data (i32.const 64) "\\01") (func (export "call") (call $caller (i32.const 0)) (drop (call $call (call $g) (i32.const 0) (i32.const 32) (i32.const 64) (i32.const 1))))`);
// A generic WASM proxy. Calldata: target (20) ‖ value (32) ‖ mode (1: 0 call, 1 static, 2 delegate) ‖ data.
// Output: result code as a word ‖ gas left just before the call as a word ‖ return data; a
// reverted callee makes the proxy revert with the callee's data.
const PROXY = wat(`(import "env" "getCallDataSize" (func $cds (result i32))) (import "env" "callDataCopy" (func $cdc (param i32 i32 i32)))
  (import "env" "getGasLeft" (func $gasLeft (result i64)))
  (import "env" "callContract" (func $call (param i64 i32 i32 i32 i32) (result i32)))
  (import "env" "callStatic" (func $static (param i64 i32 i32 i32) (result i32)))
  (import "env" "callDelegate" (func $delegate (param i64 i32 i32 i32) (result i32)))
  (import "env" "getReturnDataSize" (func $rds (result i32))) (import "env" "returnDataCopy" (func $rdc (param i32 i32 i32)))
  (import "env" "finish" (func $finish (param i32 i32))) (import "env" "revert" (func $revert (param i32 i32)))`,
  `(func (export "call") (local $n i32) (local $g i64) (local $r i32) (local $mode i32) (local $rd i32) (local $i i32)
     (call $gas (i64.const 20))
     (local.set $n (call $cds))
     (call $cdc (i32.const 0) (i32.const 0) (local.get $n))
     (local.set $mode (i32.load8_u (i32.const 52)))
     (local.set $g (call $gasLeft))
     (local.set $r (if (result i32) (i32.eqz (local.get $mode))
       (then (call $call (local.get $g) (i32.const 0) (i32.const 20) (i32.const 53) (i32.sub (local.get $n) (i32.const 53))))
       (else (if (result i32) (i32.eq (local.get $mode) (i32.const 1))
         (then (call $static (local.get $g) (i32.const 0) (i32.const 53) (i32.sub (local.get $n) (i32.const 53))))
         (else (call $delegate (local.get $g) (i32.const 0) (i32.const 53) (i32.sub (local.get $n) (i32.const 53))))))))
     (local.set $rd (call $rds))
     (call $rdc (i32.const 1088) (i32.const 0) (local.get $rd))
     (if (i32.eq (local.get $r) (i32.const 2)) (then (call $revert (i32.const 1088) (local.get $rd))))
     (i32.store8 (i32.const 1055) (local.get $r))
     (local.set $i (i32.const 1087))
     (block $d (loop $l (br_if $d (i32.lt_s (local.get $i) (i32.const 1080)))
       (i64.store8 (local.get $i) (local.get $g)) (local.set $g (i64.shr_u (local.get $g) (i64.const 8)))
       (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br $l)))
     (call $finish (i32.const 1024) (i32.add (i32.const 64) (local.get $rd))))`);
const proxyInput = (target: Address, value: bigint, mode: number, data = ''): string => target.slice(2) + w(value) + mode.toString(16).padStart(2, '0') + data;

const A = (n: number): Address => '0x10000000000000000000000000000000000000' + n.toString(16).padStart(2, '0');
const X = (n: number): Address => '0x20000000000000000000000000000000000000' + n.toString(16).padStart(2, '0');
// EVM contracts: returns 3; returns GAS; SSTOREs 1 then reverts with "evm!"; SSTOREs slot 5 = 9 and stops.
const RATE = '60035f5260205ff3';
const GASREP = '5a5f5260205ff3';
const EVM_REVERTER = '6001600055' + '6365766d215f52' + '6004601cfd';
const EVM_STORE = '6009600555';

describe('cross-VM calls: detection and binding', () => {
  it('EVM-XVM-DETECT.1 code starting with \\0asm is WASM; other code is EVM', () => {
    expect(isWasmCode(hex('0061736d01000000'))).toBe(true);
    expect(isWasmCode(hex('0061736d'))).toBe(true);
    expect(isWasmCode(hex('0061736c'))).toBe(false);
    expect(isWasmCode(hex('00'))).toBe(false);
  });
  it('EVM-XVM-BIND.1 the bound module of every example verifies and keeps the import indices', () => {
    for (const m of [REPORTER, REVERTER, REENTER, PROXY, watToWasm(readFileSync(join(EXAMPLE, 'pricing.wat'), 'utf8'))]) {
      const loaded = loadWasm(m);
      expect(loaded.ok).toBe(true);
      if (!loaded.ok) continue;
      const b = bindEnvImports(loaded.value);
      expect(b.ok, b.ok ? '' : b.error.message).toBe(true);
      if (b.ok) expect(b.value.funcs.slice(0, loaded.value.funcs.length).every((f, i) => f.type === loaded.value.funcs[i]!.type || JSON.stringify(f.type) === JSON.stringify(loaded.value.funcs[i]!.type))).toBe(true);
    }
  });
  it('EVM-XVM-ENTRY.1 EVM-XVM-IMPORTS.1 unknown imports, a missing call export and undecodable code halt with InvalidWasmCode', () => {
    const unknown = wat(`(import "env" "selfDestruct" (func $sd (param i32)))`, `(func (export "call"))`);
    const noEntry = wat('', `(func (export "main"))`);
    const wrongSig = wat(`(import "env" "finish" (func $f (param i32)))`, `(func (export "call"))`);
    for (const code of [unknown, noEntry, wrongSig, hex('0061736d02000000')]) {
      const r = call(world({ [X(1)]: acc(code) }), X(1));
      expect([r.status, r.reason, r.gasUsed]).toEqual(['halt', 'InvalidWasmCode', 1_000_000n]);
    }
  });
  it('EVM-XVM-STATUS.1 random bytes after the magic never throw: the frame halts or succeeds', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
      const code = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...tail]);
      const r = call(world({ [X(1)]: acc(code) }), X(1), '', 0n, 50_000n);
      expect(['success', 'halt']).toContain(r.status);
      expect(r.gasUsed <= 50_000n).toBe(true);
    }), { numRuns: 200 });
  });
});

describe('cross-VM calls: the example (examples/cross-vm)', () => {
  const state = JSON.parse(readFileSync(join(EXAMPLE, 'state.json'), 'utf8')) as { caller: string; accounts: Record<string, { code?: string; balance?: string; nonce?: string }> };
  const code = (a: string): string => state.accounts[a]!.code!;
  it('EVM-XVM-ENTRY.1 state.json holds the WAT files compiled and the documented EVM listings', () => {
    expect(code('0x2000000000000000000000000000000000000a5a')).toBe(bytesToHex(watToWasm(readFileSync(join(EXAMPLE, 'pricing.wat'), 'utf8'))));
    expect(code('0x2000000000000000000000000000000000000b0b')).toBe(bytesToHex(watToWasm(readFileSync(join(EXAMPLE, 'rate-consumer.wat'), 'utf8'))));
    expect(code('0x1000000000000000000000000000000000000c01')).toBe('0x' + forwarder('0x2000000000000000000000000000000000000a5a'));
    expect(code('0x1000000000000000000000000000000000000e01')).toBe('0x' + RATE);
  });
  const pre = (): WorldState => world(Object.fromEntries(Object.entries(state.accounts).filter(([a]) => a !== USER).map(([a, x]) => [a, acc(x.code ?? '0x')])));
  it('EVM-XVM-CALL.1 the EVM shop gets a price from the WASM pricing function, stores and logs it', () => {
    for (const [qty, price] of [[120n, 27_000n], [10n, 2_500n], [0n, 0n], [100n, 22_500n]] as const) {
      const r = call(pre(), '0x1000000000000000000000000000000000000c01', w(qty));
      expect(r.status).toBe('success');
      expect(bytesToHex(r.output)).toBe('0x' + w(price));
      expect(slot(r.state, '0x1000000000000000000000000000000000000c01', 0n)).toBe(price);
      expect(slot(r.state, '0x1000000000000000000000000000000000000c01', 1n)).toBe(1n);
      expect(slot(r.state, '0x2000000000000000000000000000000000000a5a', 0n)).toBe(1n);
      expect(r.logs.map((l) => [l.address, bytesToHex(l.data)])).toEqual([['0x1000000000000000000000000000000000000c01', '0x' + w(price)]]);
    }
  });
  it('EVM-XVM-REENTRY.1 the WASM consumer calls back into the EVM rate oracle', () => {
    const r = call(pre(), '0x2000000000000000000000000000000000000b0b', w(7n));
    expect([r.status, bytesToHex(r.output)]).toEqual(['success', '0x' + w(21n)]);
  });
});

describe('cross-VM calls: transactions', () => {
  it('EVM-XVM-DETECT.1 EVM-TX-REFUND.1 a transaction to a WASM contract pays intrinsic gas and fees like any call', () => {
    const pricing = watToWasm(readFileSync(join(EXAMPLE, 'pricing.wat'), 'utf8'));
    const pre = world({ [X(1)]: acc(pricing) });
    const r = executeTransaction(pre, { ...BLOCK, excessBlobGas: 0n }, {
      sender: USER, to: X(1), nonce: 0n, gasLimit: 100_000n, value: 0n, data: hex(w(2n)), fee: { kind: 'legacy', gasPrice: 10n },
      accessList: [], blobHashes: [], maxFeePerBlobGas: 0n,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const direct = call(pre, X(1), w(2n), 0n, 100_000n - 21_000n - 16n - 31n * 4n);
    expect(r.value.status).toBe('success');
    expect(bytesToHex(r.value.output)).toBe('0x' + w(500n));
    // Intrinsic gas (21000 + calldata: one non-zero byte 16, 31 zero bytes 4) plus the frame's gas.
    expect(r.value.gasUsed).toBe(21_000n + 16n + 31n * 4n + direct.gasUsed);
    expect(r.value.state.get(USER)!.balance).toBe(10n ** 18n - r.value.gasUsed * 10n);
  });
});

describe('cross-VM calls: value, gas, revert, reentrancy, static mode', () => {
  it('EVM-XVM-CALL.1 value moves EVM → WASM (CALLVALUE forwarded) and WASM → EVM (callContract value)', () => {
    const r = call(world({ [A(1)]: acc(forwarder(X(1))), [X(1)]: acc(REPORTER) }), A(1), '', 5n);
    expect(r.status).toBe('success');
    expect(r.state.get(X(1))!.balance).toBe(5n);
    expect(r.state.get(A(1))!.balance).toBe(0n);
    const p = call(world({ [X(2)]: acc(PROXY, 10n), [A(2)]: acc(RATE) }), X(2), proxyInput(A(2), 3n, 0));
    expect(p.status).toBe('success');
    expect(bytesToHex(p.output).slice(2, 66)).toBe(w(BigInt(XVM_CALL_RESULT.success)));
    expect([p.state.get(A(2))!.balance, p.state.get(X(2))!.balance]).toEqual([3n, 7n]);
    // More value than the WASM contract holds: the call is not made and answers failure.
    const poor = call(world({ [X(2)]: acc(PROXY, 1n), [A(2)]: acc(RATE) }), X(2), proxyInput(A(2), 3n, 0));
    expect(bytesToHex(poor.output).slice(2, 66)).toBe(w(BigInt(XVM_CALL_RESULT.failure)));
    expect(poor.state.get(A(2))!.balance).toBe(0n);
  });
  it('EVM-XVM-GAS.1 EVM-CALL-6364.1 an EVM caller forwards all but 1/64 to WASM, measured inside WASM with getGasLeft', () => {
    let g0 = -1n;
    const tracer = { step: (s: TraceStep) => { if (s.op === 0xf1 && s.depth === 1) g0 = s.stack[s.stack.length - 1]!; }, end: () => undefined };
    const r = call(world({ [A(1)]: acc(forwarder(X(1))), [X(1)]: acc(REPORTER) }), A(1), '', 0n, 1_000_000n, tracer);
    expect(r.status).toBe('success');
    // CALL: cold target 2600, memory expansion to 32 bytes 3; getGasLeft itself costs 2.
    expect(BigInt(bytesToHex(r.output))).toBe(maxMessageCallGas(g0 - 2600n - 3n) - 2n);
  });
  it('EVM-XVM-GAS.1 EVM-CALL-6364.1 a WASM caller forwards all but 1/64 to EVM, measured with GAS', () => {
    const r = call(world({ [X(2)]: acc(PROXY), [A(3)]: acc(GASREP) }), X(2), proxyInput(A(3), 0n, 0));
    const out = bytesToHex(r.output).slice(2);
    const gasBefore = BigInt('0x' + out.slice(64, 128));
    // callContract: cold target 2600, no value; GAS costs 2 in the callee.
    expect(BigInt('0x' + out.slice(128, 192))).toBe(maxMessageCallGas(gasBefore - 2600n) - 2n);
  });
  it('EVM-XVM-STATUS.1 a WASM revert propagates to the EVM caller with its data; its storage write is undone', () => {
    const r = call(world({ [A(1)]: acc(forwarder(X(1))), [X(1)]: acc(REVERTER) }), A(1));
    expect([r.status, Buffer.from(r.output).toString()]).toEqual(['revert', 'nope']);
    expect(r.state.get(X(1))!.storage.size).toBe(0);
    expect(r.gasUsed < 1_000_000n).toBe(true);
  });
  it('EVM-XVM-STATUS.1 an EVM revert reaches the WASM caller as result 2 with the revert data; the callee state is undone', () => {
    const r = call(world({ [X(2)]: acc(PROXY), [A(4)]: acc(EVM_REVERTER) }), X(2), proxyInput(A(4), 0n, 0));
    expect([r.status, Buffer.from(r.output).toString()]).toEqual(['revert', 'evm!']);
    expect(slot(r.state, A(4), 0n)).toBe(0n);
  });
  it('EVM-XVM-REENTRY.1 WASM may re-enter its EVM caller; the caller sees the write made during the callback', () => {
    // A: empty calldata -> CALL the WASM contract, then return slot 0; non-empty calldata -> slot 0 = 42.
    const reentrant = '36602957' + '5f5f5f5f5f73' + X(5).slice(2) + '5af150' + '5f545f5260205ff3' + '5b602a5f5500';
    const r = call(world({ [A(5)]: acc(reentrant), [X(5)]: acc(REENTER) }), A(5));
    expect([r.status, bytesToHex(r.output)]).toEqual(['success', '0x' + w(42n)]);
  });
  it('EVM-XVM-STATIC.1 a WASM storage write under STATICCALL halts; callStatic makes EVM writes fail', () => {
    // EVM: STATICCALL(gas, pricing, 0, 32, 0, 32) then return the success flag.
    const pricing = watToWasm(readFileSync(join(EXAMPLE, 'pricing.wat'), 'utf8'));
    const staticCaller = '60205f60205f73' + X(1).slice(2) + '5afa5f5260205ff3';
    const r = call(world({ [A(6)]: acc(staticCaller), [X(1)]: acc(pricing) }), A(6));
    expect([r.status, bytesToHex(r.output)]).toEqual(['success', '0x' + w(0n)]);
    const s = call(world({ [X(2)]: acc(PROXY), [A(7)]: acc(EVM_STORE) }), X(2), proxyInput(A(7), 0n, 1));
    expect(bytesToHex(s.output).slice(2, 66)).toBe(w(BigInt(XVM_CALL_RESULT.failure)));
    expect(slot(s.state, A(7), 5n)).toBe(0n);
    // The same call made with callContract succeeds and writes.
    const c = call(world({ [X(2)]: acc(PROXY), [A(7)]: acc(EVM_STORE) }), X(2), proxyInput(A(7), 0n, 0));
    expect(slot(c.state, A(7), 5n)).toBe(9n);
  });
  it('EVM-XVM-CALL.1 WASM calls WASM: the proxy asks the pricing contract', () => {
    const pricing = watToWasm(readFileSync(join(EXAMPLE, 'pricing.wat'), 'utf8'));
    const r = call(world({ [X(2)]: acc(PROXY), [X(1)]: acc(pricing) }), X(2), proxyInput(X(1), 0n, 0, w(4n)));
    const out = bytesToHex(r.output).slice(2);
    expect([r.status, out.slice(0, 64), out.slice(128)]).toEqual(['success', w(0n), w(1000n)]);
    expect(slot(r.state, X(1), 0n)).toBe(1n);
  });
  it('EVM-XVM-CALL.1 callDelegate runs EVM code on the WASM contract\'s own storage', () => {
    const r = call(world({ [X(2)]: acc(PROXY), [A(7)]: acc(EVM_STORE) }), X(2), proxyInput(A(7), 0n, 2));
    expect(bytesToHex(r.output).slice(2, 66)).toBe(w(BigInt(XVM_CALL_RESULT.success)));
    expect([slot(r.state, X(2), 5n), slot(r.state, A(7), 5n)]).toEqual([9n, 0n]);
  });
  it('EVM-XVM-GAS.1 running out of gas inside WASM consumes all the gas given to it and undoes its writes', () => {
    const pricing = watToWasm(readFileSync(join(EXAMPLE, 'pricing.wat'), 'utf8'));
    // The pricing contract's SSTORE of a new slot needs 22100 gas.
    const r = call(world({ [X(1)]: acc(pricing) }), X(1), w(1n), 0n, 20_000n);
    expect([r.status, r.reason, r.gasUsed]).toEqual(['halt', 'OutOfGas', 20_000n]);
    expect(r.state.get(X(1))!.storage.size).toBe(0);
    const enough = call(world({ [X(1)]: acc(pricing) }), X(1), w(1n), 0n, 30_000n);
    expect(enough.status).toBe('success');
    // An instrumented charge beyond the gas left traps as OUT_OF_GAS too (the first charge is 50).
    expect(call(world({ [X(1)]: acc(pricing) }), X(1), w(1n), 0n, 49n)).toMatchObject({ status: 'halt', reason: 'OutOfGas', gasUsed: 49n });
  });
  it('EVM-XVM-IMPORTS.1 emitLogEvent reads only the first n topics; storage round-trips; out-of-memory regions trap', () => {
    // Topic pointers 3 and 4 lie outside memory; with n = 2 they are never read.
    const logger = wat(`(import "env" "emitLogEvent" (func $log (param i32 i32 i32 i32 i32 i32 i32)))
      (import "env" "storageStore" (func $ss (param i32 i32))) (import "env" "storageLoad" (func $sl (param i32 i32)))
      (import "env" "finish" (func $finish (param i32 i32)))`,
      `(data (i32.const 0) "hi") (data (i32.const 63) "\\07") (data (i32.const 95) "\\09")
       (func (export "call")
         (call $log (i32.const 0) (i32.const 2) (i32.const 2) (i32.const 32) (i32.const 64) (i32.const -1) (i32.const -1))
         (call $ss (i32.const 32) (i32.const 64))
         (call $sl (i32.const 32) (i32.const 128))
         (call $finish (i32.const 128) (i32.const 32)))`);
    const r = call(world({ [X(3)]: acc(logger) }), X(3));
    expect(r.status).toBe('success');
    expect(r.logs.map((l) => [Buffer.from(l.data).toString(), l.topics.map((t) => bytesToHex(t))])).toEqual([['hi', ['0x' + w(7n), '0x' + w(9n)]]]);
    expect(slot(r.state, X(3), 7n)).toBe(9n);
    expect(bytesToHex(r.output)).toBe('0x' + w(9n));
    const outside = wat(`(import "env" "finish" (func $finish (param i32 i32)))`, `(func (export "call") (call $finish (i32.const 65530) (i32.const 16)))`);
    expect(call(world({ [X(3)]: acc(outside) }), X(3))).toMatchObject({ status: 'halt', reason: 'Wasm:Dmir.Trap.MEMORY_OUT_OF_BOUNDS' });
    const wrap = wat(`(import "env" "finish" (func $finish (param i32 i32)))`, `(func (export "call") (call $finish (i32.const 16) (i32.const -1)))`);
    expect(call(world({ [X(3)]: acc(wrap) }), X(3))).toMatchObject({ status: 'halt', reason: 'Wasm:Dmir.Trap.MEMORY_OUT_OF_BOUNDS' });
  });
  it('EVM-XVM-ENTRY.1 executeWasmCode leaves the context untouched on a halt', () => {
    const ctx = { state: new Map(), transient: new Map(), original: new Map(), block: BLOCK, tx: { origin: USER, gasPrice: 1n, blobHashes: [] },
      sub: { accessedAddresses: new Set<string>(), accessedKeys: new Set<string>(), touched: new Set<string>(), toDelete: new Set<string>(), created: new Set<string>(), refund: 0n, logs: [] } };
    const r = executeWasmCode({ caller: USER, target: X(1), currentTarget: X(1), codeAddress: X(1), gas: 100_000n, value: 0n, data: new Uint8Array(0), code: REVERTER, depth: 0, shouldTransferValue: false, isStatic: true }, ctx);
    expect(r.ok && [r.value.status, r.value.reason, r.value.ctx === ctx]).toEqual(['halt', 'WriteInStaticContext', true]);
  });
});
