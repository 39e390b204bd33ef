/**
 * The JSON form of dMIR modules and the engine's verifier: round trips, the reader on random and
 * corrupted input (a stable code, never a throw), and the engine's verifier against the reference
 * verifier on lowered and corrupted modules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { moduleFromJson, moduleToJson } from './dmir-json.js';
import { corrupt, dmirCoreKinds } from './dmir-core.js';
import { deployEngine, manualCompiler } from '../../impl/dmir/engine.js';
import { wasmModule } from '../wast/gen.js';
import { loadWasm } from '../../model/dmir/wasm/index.js';
import { encodeModule } from '../../model/dmir/wasm/encode.js';
import { verifyModule } from '../../model/dmir/verify.js';
import { verifyDmir } from '../../impl/dmir/interp-verify.js';
import type { Module } from '../../model/dmir/ir.js';

const RUNS = Number(process.env['DMIR_VERIFY_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 20_000 : 800));

const lowered = wasmModule({ depth: 3 }).map((g) => {
  const r = loadWasm(encodeModule(g.module));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
});

const outcome = (r: { ok: true } | { ok: false; error: { code: string } }): string => (r.ok ? 'ok' : r.error.code);

describe('dMIR JSON form', () => {
  // @spec DMIR-STRUCT-MODULE.1 DMIR-VALUES.1
  it('reads back every lowered module exactly (DMIR-STRUCT-MODULE.1)', () => {
    fc.assert(fc.property(lowered, (m) => {
      const json = JSON.parse(JSON.stringify(moduleToJson(m))) as unknown;
      const back = moduleFromJson(json);
      if (!back.ok) throw new Error(back.error.message);
      expect(back.value).toEqual(m);
    }), { numRuns: 150, seed: 11 });
  });

  // @spec DMIR-STRUCT-EXPR.1
  it('rejects random JSON and corrupted forms with Dmir.Json.MALFORMED, never throwing (DMIR-STRUCT-EXPR.1)', () => {
    fc.assert(fc.property(fc.jsonValue(), (j) => {
      const r = moduleFromJson(j);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('Dmir.Json.MALFORMED');
    }), { numRuns: 500, seed: 12 });
    fc.assert(fc.property(lowered, fc.nat(), fc.jsonValue(), (m, at, junk) => {
      // Replace one field anywhere in the form by arbitrary JSON.
      const json = JSON.parse(JSON.stringify(moduleToJson(m))) as unknown;
      const slots: { o: Record<string, unknown>; k: string }[] = [];
      const walk = (x: unknown): void => {
        if (typeof x !== 'object' || x === null) return;
        for (const [k, v] of Object.entries(x)) { slots.push({ o: x as Record<string, unknown>, k }); walk(v); }
      };
      walk(json);
      const s = slots[at % slots.length]!;
      s.o[s.k] = junk;
      const r = moduleFromJson(json);
      if (!r.ok) expect(r.error.code).toBe('Dmir.Json.MALFORMED');
      else expect(['ok', ...['TYPE_MISMATCH', 'BAD_INDEX', 'BAD_OPERATOR', 'MISSING_EXCEPTION_BLOCK', 'BAD_EXCEPTION_BLOCK', 'BAD_SIGNATURE', 'IMMUTABLE_GLOBAL', 'NO_MEMORY', 'NO_TABLE', 'DUPLICATE_EXPORT', 'BAD_FRAME_COST'].map((c) => `Dmir.Verify.${c}`)]).toContain(outcome(verifyModule(r.value)));
    }), { numRuns: 400, seed: 13 });
  });
});

describe("the engine's dMIR verifier", () => {
  // @spec DMIR-VERIFY-MODULE.1 DMIR-VERIFY-TYPES.1 DMIR-VERIFY-CFG.1 DMIR-VERIFY-TRAPEDGE.1
  it(`gives the reference verifier's answer on ${RUNS} lowered and ${RUNS} corrupted modules (DMIR-VERIFY-MODULE.1)`, () => {
    const codes = new Set<string>();
    fc.assert(fc.property(lowered, fc.nat(), (m, seed) => {
      expect(outcome(verifyDmir(m))).toBe('ok');
      const parsed = moduleFromJson(corrupt(moduleToJson(m), seed));
      if (!parsed.ok) return;
      const c: Module = parsed.value;
      const want = outcome(verifyModule(c));
      codes.add(want);
      expect(outcome(verifyDmir(c))).toBe(want);
    }), { numRuns: RUNS, seed: 14 });
    // The corruptions reach several distinct rules, not one.
    expect(codes.size).toBeGreaterThanOrEqual(4);
  });
});

describe('the dmir/execute hand-picked modules on compiled code', () => {
  // @spec DMIR-ENGINE-FAIL.1 DMIR-ENGINE-EQUIV.1 DMIR-OP-BINARY.1 DMIR-OP-CMP.1
  it('all compile, so the impl client compares both tiers on every one (DMIR-ENGINE-EQUIV.1)', () => {
    const suite = dmirCoreKinds.find((k) => k.kind === 'dmir/execute')!.suites.find((s) => s.suite === 'hand-picked')!;
    const cases = suite.cases(suite.seed);
    expect(cases.length).toBeGreaterThan(10);
    const states = cases.map((c) => {
      const m = moduleFromJson((c.input as { module: unknown }).module);
      if (!m.ok) return `${c.id}: ${m.error.message}`;
      const compiler = manualCompiler();
      const d = deployEngine(m.value, () => undefined, { gas: 0n, compiler });
      if (!d.ok) return `${c.id}: ${d.error.code}`;
      // A start trap leaves nothing to compile; no hand-picked module has one.
      compiler.finishNext();
      return `${c.id}: ${d.value.compileState()}`;
    });
    expect(states).toEqual(cases.map((c) => `${c.id}: ready`));
  });
});
