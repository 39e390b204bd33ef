import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runWast, runWastSuite, type Executor, type FileReport } from './runner.js';

const SUITE = process.env['PHAROS_WASM_SUITE'] ?? fileURLToPath(new URL('../../../../shared/suites/wasm-core', import.meta.url));

describe('wast runner on a built-in script', () => {
  // @spec DMIR-WASM-SPECTEST.1 DMIR-WASM-TEXT.1 DMIR-STACK-BUDGET.1 DMIR-DET-NAN.1
  it('passes, fails and skips commands as the script demands (DMIR-WASM-SPECTEST.1)', () => {
    const script = `
      (module
        (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
        (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
        (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
        (func $r (export "runaway") (call $r))
        (func (export "sat") (param f32) (result i32) (i32.trunc_sat_f32_s (local.get 0))))
      (assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 5))
      (assert_return (invoke "add" (i32.const 0x7fffffff) (i32.const 1)) (i32.const -2147483648))
      (assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
      (assert_trap (invoke "div" (i32.const -2147483648) (i32.const -1)) "integer overflow")
      (assert_return (invoke "nan") (f32.const nan:canonical))
      (assert_exhaustion (invoke "runaway") "call stack exhausted")
      (assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
      (assert_malformed (module binary "\\00asm\\02\\00\\00\\00") "unknown binary version")
      (assert_malformed (module quote "(func (i32.const 0x))") "unknown operator")
      (assert_return (invoke "sat" (f32.const nan)) (i32.const 0))
      (assert_return (invoke "sat" (f32.const -3e9)) (i32.const 0x80000000))
      (module (memory 1) (func (export "fill") (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))
      (assert_return (invoke "fill"))
      (assert_return (invoke "add" (i32.const 1) (i32.const 1)) (i32.const 3))
    `;
    const r = runWast(script, 'inline.wast');
    // The last assert_return targets the skipped module; add is out of reach, so it skips too.
    expect({ pass: r.pass, fail: r.fail, skip: r.skip }).toEqual({ pass: 12, fail: 0, skip: 3 });
    expect(r.details.map((d) => d.command)).toEqual(['module', 'assert_return', 'assert_return']);
  });

  it('reports a wrong expectation as a failure (DMIR-WASM-SPECTEST.1)', () => {
    const r = runWast('(module (func (export "one") (result i32) (i32.const 1))) (assert_return (invoke "one") (i32.const 2))', 'bad.wast');
    expect(r.fail).toBe(1);
    expect(r.details[0]!.reason).toContain('got 1');
  });
});

describe.skipIf(!existsSync(SUITE))(`WebAssembly core spec tests (${SUITE}${existsSync(SUITE) ? '' : ' is absent: skipped; set PHAROS_WASM_SUITE to run them'})`, () => {
  /** Each executor runs the suite once; the tests below share the reports. */
  const reports = new Map<Executor, FileReport[]>();
  const suite = (executor: Executor): FileReport[] => {
    let r = reports.get(executor);
    if (r === undefined) { r = runWastSuite(SUITE, undefined, executor)!; reports.set(executor, r); }
    return r;
  };
  /**
   * Every command's verdict and reason, per file: the same for the same reason on every executor.
   * A load failure's reason is kept to its error code: the engine executors load with the
   * engine's own reader and validator, whose messages are worded differently.
   */
  const verdicts = (rs: readonly FileReport[]) => rs.map((r) => [r.file, r.pass, r.fail, r.skip, r.details.map((d) => `${d.line} ${d.verdict} ${d.reason.replace(/(Wasm\.[A-Za-z]+\.[A-Z0-9_]+): .*$/, '$1')}`)]);
  const total = (rs: readonly FileReport[], tier: 'interpreter' | 'native'): number => rs.reduce((n, r) => n + (r.tiers?.[tier] ?? 0), 0);

  // @spec DMIR-WASM-SPECTEST.1 DMIR-WASM-DECODE.1 DMIR-WASM-VALIDATE.1 DMIR-WASM-LOWER.1
  // @spec DMIR-WASM-LOWER-CONTROL.1 DMIR-WASM-LOWER-MEMORY.1 DMIR-WASM-PROFILE.1 DMIR-WASM-LOAD.1 DMIR-WASM-OPCODES.1
  // @spec DMIR-OP-BINARY.1 DMIR-OP-CMP.1 DMIR-OP-MEMORY.1 DMIR-EXEC-STEP.1 DMIR-EXEC-CALL.1 DMIR-EXEC-HOST.1 DMIR-EXEC-INVOKE.1
  it('has no failing in-profile command in any file (DMIR-WASM-SPECTEST.1)', () => {
    const interp = suite('interpreter');
    expect(interp.length).toBeGreaterThan(0);
    const failures = interp.flatMap((r) => r.details.filter((d) => d.verdict === 'fail').map((d) => `${r.file}:${d.line} ${d.command}: ${d.reason}`));
    expect(failures).toEqual([]);
    const passed = interp.reduce((n, r) => n + r.pass, 0);
    expect(passed).toBeGreaterThan(10_000);
  });

  // @spec DMIR-EXEC-MODE.1 DMIR-WASM-SPECTEST.1
  it('gives the same verdicts on the compiled engine as on the interpreter (DMIR-EXEC-MODE.1)', () => {
    // Every command, assert_exhaustion included (deep calls take the compiled engine to the 8 MiB
    // budget), gets the same verdict for the same reason.
    const compiled = suite('compiled');
    expect(verdicts(compiled)).toEqual(verdicts(suite('interpreter')));
    expect(compiled.reduce((n, r) => n + r.fail, 0)).toBe(0);
  });

  // @spec DMIR-ENGINE-INTERP.1 DMIR-ENGINE-EQUIV.1 DMIR-EXEC-MODE.1 DMIR-WASM-SPECTEST.1
  it('gives the same verdicts on the lazy engine\'s interpreter tier (DMIR-ENGINE-INTERP.1)', () => {
    const lazy = suite('lazy');
    expect(verdicts(lazy)).toEqual(verdicts(suite('interpreter')));
    // Compilation never finished: every call, the start functions included, ran on the interpreter tier.
    expect(total(lazy, 'native')).toBe(0);
    expect(total(lazy, 'interpreter')).toBeGreaterThan(10_000);
  });

  // @spec DMIR-ENGINE-SWITCH.1 DMIR-ENGINE-STATE.1 DMIR-ENGINE-EQUIV.1 DMIR-EXEC-MODE.1 DMIR-WASM-SPECTEST.1
  it('gives the same verdicts when instances switch tiers in the middle of a script (DMIR-ENGINE-SWITCH.1)', () => {
    const switching = suite('switching');
    expect(verdicts(switching)).toEqual(verdicts(suite('interpreter')));
    // Both tiers ran, and in most files one script used both.
    expect(total(switching, 'interpreter')).toBeGreaterThan(100);
    expect(total(switching, 'native')).toBeGreaterThan(10_000);
    const mixed = switching.filter((r) => (r.tiers?.interpreter ?? 0) > 0 && (r.tiers?.native ?? 0) > 0).length;
    expect(mixed).toBeGreaterThan(switching.length / 2);
  });
});
