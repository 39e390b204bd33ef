import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './commands.js';

const run = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

describe('pharos-spec run wasm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'run-wasm-'));
  const wat = join(dir, 'fib.wat');
  writeFileSync(wat, `(module
    (func $gas (export "__instrumented_use_gas") (param i64))
    (func $fib (export "fib") (param i32) (result i32)
      (call $gas (i64.const 3))
      (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
        (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2))))))))`);

  // @spec DMIR-GAS-USE.1 DMIR-EXEC-MODE.1
  it('prints the result and the gas used in both modes (DMIR-EXEC-MODE.1)', async () => {
    // fib(10) makes 177 calls, each charging 3 gas.
    for (const engine of ['interpreter', 'compiled']) {
      const r = await run(['run', 'wasm', wat, '--invoke', 'fib', '10', '--gas', '1000', '--engine', engine]);
      expect(r).toEqual({ code: 0, out: 'result: i32:55\ngas used: 531', err: '' });
    }
    const oog = await run(['run', 'wasm', wat, '--invoke', 'fib', '10', '--gas', '100']);
    expect(oog.out).toBe('trap: Dmir.Trap.OUT_OF_GAS (90099)\ngas used: 100');
  });

  it('reports bad input with a stable code (DMIR-WASM-DECODE.1)', async () => {
    const bad = join(dir, 'bad.wasm');
    writeFileSync(bad, Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]));
    expect((await run(['run', 'wasm', bad, '--invoke', 'f'])).err).toMatch(/^Wasm.Decode.BAD_VERSION/);
    expect((await run(['run', 'wasm', wat, '--invoke', 'nope'])).err).toMatch(/^Wasm.Invoke.UNKNOWN_EXPORT/);
    expect((await run(['run', 'wasm', wat, '--invoke', 'fib', 'x'])).err).toMatch(/^Wasm.Invoke.BAD_ARGUMENTS/);
    expect((await run(['run', 'wasm', wat, '--invoke', 'fib'])).code).toBe(1);
  });
});
