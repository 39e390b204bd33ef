#!/usr/bin/env node
// A third-party conformance client that answers the "wasm/run" vector kind with Node's own
// WebAssembly engine (V8). It speaks the runner's JSON Lines protocol (pharos-vectors-jsonl/1)
// on stdin/stdout and uses nothing but Node's standard library.
//
// It declares wasm/run only. wasm/decode needs the DWASM profile's error codes and load limits,
// and wasm/invoke needs instrumented gas and the stack-cost budget; V8 has neither, so those kinds
// are unsupported here. Within wasm/run, V8 cannot tell some traps apart and does not canonicalise
// NaNs; the cases that depend on that are listed with reasons in skip.json next to this file.

import { createInterface } from 'node:readline';

const send = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);

class CaseError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

// --- Function signatures: V8's JS API does not expose them, so read the type, import, function
// and export sections (only as far as needed; V8 itself validates the module).
const VALTYPE = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' };

const signatures = (bytes) => {
  let pos = 8;
  const u32 = () => { let r = 0, s = 0, b; do { b = bytes[pos++]; r += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80); return r; };
  const name = () => { const n = u32(); const s = new TextDecoder().decode(bytes.subarray(pos, pos + n)); pos += n; return s; };
  const types = [], funcTypes = [], exports = new Map();
  while (pos < bytes.length) {
    const id = bytes[pos++];
    const size = u32();
    const end = pos + size;
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        pos++; // 0x60
        const params = Array.from({ length: u32() }, () => VALTYPE[bytes[pos++]]);
        const results = Array.from({ length: u32() }, () => VALTYPE[bytes[pos++]]);
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        name(); name();
        const kind = bytes[pos++];
        if (kind === 0) funcTypes.push(types[u32()]);
        else break; // non-function imports: V8 will fail to link them below
      }
    } else if (id === 3) {
      for (let n = u32(); n > 0; n--) funcTypes.push(types[u32()]);
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        const nm = name();
        const kind = bytes[pos++];
        const index = u32();
        if (kind === 0) exports.set(nm, funcTypes[index]);
      }
    }
    pos = end;
  }
  return exports;
};

// --- Values: integers in decimal, floats as their bit patterns in hex.
const toJs = (t, s, i) => {
  const bad = () => new CaseError('Wasm.Invoke.BAD_VALUE', `argument ${i} ${JSON.stringify(s)} is not a ${t} value`);
  const hex = s.startsWith('0x');
  if (t === 'i32' || t === 'i64') {
    if (hex) throw bad();
    const v = BigInt(s);
    const w = t === 'i32' ? 32n : 64n;
    if (v < -(1n << (w - 1n)) || v >= 1n << w) throw bad();
    return t === 'i32' ? Number(BigInt.asIntN(32, v)) : BigInt.asIntN(64, v);
  }
  if (!hex || s.length !== (t === 'f32' ? 10 : 18)) throw bad();
  const dv = new DataView(new ArrayBuffer(8));
  if (t === 'f32') { dv.setUint32(0, Number.parseInt(s.slice(2), 16)); return dv.getFloat32(0); }
  dv.setBigUint64(0, BigInt(s)); return dv.getFloat64(0);
};

const fromJs = (t, v) => {
  if (t === 'i32' || t === 'i64') return String(v);
  const dv = new DataView(new ArrayBuffer(8));
  if (t === 'f32') { dv.setFloat32(0, v); return `0x${dv.getUint32(0).toString(16).padStart(8, '0')}`; }
  dv.setFloat64(0, v); return `0x${dv.getBigUint64(0).toString(16).padStart(16, '0')}`;
};

// --- Traps: V8's messages, mapped to the specification's codes where the message decides it.
const trapOf = (e) => {
  const m = e instanceof Error ? e.message : String(e);
  if (m.includes('unreachable')) return 'Dmir.Trap.UNREACHABLE';
  if (m.includes('memory access out of bounds') || m.includes('data segment')) return 'Dmir.Trap.MEMORY_OUT_OF_BOUNDS';
  if (m.includes('by zero')) return 'Dmir.Trap.INTEGER_DIVIDE_BY_ZERO';
  // One message covers NaN and out-of-range conversions: the out-of-range reading is reported.
  if (m.includes('divide result unrepresentable') || m.includes('float unrepresentable')) return 'Dmir.Trap.INTEGER_OVERFLOW';
  if (m.includes('table index is out of bounds') || m.includes('table initializer') || m.includes('elements segment')) return 'Dmir.Trap.TABLE_OUT_OF_BOUNDS';
  // One message covers an empty element and a signature mismatch: the mismatch is reported.
  if (m.includes('signature mismatch') || m.includes('null function')) return 'Dmir.Trap.INDIRECT_CALL_TYPE_MISMATCH';
  if (m.includes('Maximum call stack')) return 'Dmir.Trap.CALL_STACK_EXHAUSTED';
  return null;
};

const hexBytes = (h) => Uint8Array.from(Buffer.from(h.slice(2), 'hex'));

const run = ({ module, function: fn, args }) => {
  const bytes = hexBytes(module);
  let mod;
  try { mod = new WebAssembly.Module(bytes); } catch (e) { throw new CaseError('Wasm.Validate.TYPE_MISMATCH', `V8 rejects the module: ${e.message}`); }
  const sig = signatures(bytes).get(fn);
  if (sig === undefined) throw new CaseError('Wasm.Invoke.UNKNOWN_EXPORT', `no exported function ${JSON.stringify(fn)}`);
  if (args.length !== sig.params.length) throw new CaseError('Wasm.Invoke.BAD_ARGUMENTS', `${fn} takes ${sig.params.length} arguments, given ${args.length}`);
  const jsArgs = args.map((s, i) => toJs(sig.params[i], s, i));
  let inst;
  try {
    inst = new WebAssembly.Instance(mod, {});
  } catch (e) {
    if (e instanceof WebAssembly.LinkError || e instanceof TypeError) throw new CaseError('Dmir.Link.UNLINKED_IMPORT', e.message);
    const trap = trapOf(e);
    if (trap === null) throw e;
    throw new CaseError(trap, `instantiation trapped: ${e.message}`);
  }
  try {
    const r = inst.exports[fn](...jsArgs);
    return { values: sig.results.map((t) => fromJs(t, r)), trap: null };
  } catch (e) {
    const trap = trapOf(e);
    if (trap === null) throw e;
    return { values: null, trap };
  }
};

const KINDS = { 'wasm/run': run };

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  const msg = JSON.parse(line);
  if (msg.type === 'hello') {
    send({ type: 'hello', name: 'pharos-node-wasm-client', version: '0.1.0', kinds: Object.keys(KINDS) });
    return;
  }
  try {
    send({ type: 'result', seq: msg.seq, ok: true, output: KINDS[msg.kind](msg.input) });
  } catch (e) {
    if (!(e instanceof CaseError)) throw e;
    send({ type: 'result', seq: msg.seq, ok: false, error: e.code, message: e.message });
  }
});
