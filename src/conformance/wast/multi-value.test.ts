import { describe, expect, it } from 'vitest';
import { runWast } from './runner.js';

// Expected values are worked out by hand from the WebAssembly semantics, not taken from the model.
const SCRIPT = `
  (module
    (type $pair (func (result i32 i64)))
    (type $i2 (func (param i32 i32) (result i32)))
    (func $swap (export "swap") (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
    (func (export "call-swap") (result i64)
      (call $swap (i32.const 7) (i64.const 40)) (drop) (i64.const 2) (i64.add))
    (func (export "block-params") (param i32) (result i32)
      (i32.const 10) (local.get 0) (block (type $i2) (i32.sub)))
    (func (export "loop-params") (param i32) (result i32)
      ;; sum n + (n-1) + ... + 1 with the accumulator and counter on the stack
      (i32.const 0) (local.get 0)
      (loop $l (param i32 i32) (result i32)
        (local.set 0) (local.get 0) (i32.add)
        (local.get 0) (i32.const 1) (i32.sub) (local.tee 0)
        (br_if $l (local.get 0) (i32.const 0) (i32.ne) (i32.eqz (i32.eqz)))
        (drop)))
    (func (export "if-params") (param i32) (result i32 i32)
      (i32.const 3) (i32.const 4) (local.get 0)
      (if (param i32 i32) (result i32 i32) (then (i32.add) (i32.const 1)) (else (i32.mul) (i32.const 2))))
    (func (export "br-values") (result i32 i64)
      (block $b (type $pair) (i32.const 5) (i64.const 6) (br $b) (i32.const 0) (i64.const 0)))
    (func (export "br-if-values") (param i32) (result i32 i32)
      (block $b (result i32 i32) (i32.const 1) (i32.const 2) (br_if $b (local.get 0)) (drop) (drop) (i32.const 8) (i32.const 9)))
    (func (export "return-values") (result f32 i32) (f32.const 1.5) (i32.const -1) (return) (unreachable))
    (func (export "if-no-else") (param i32) (result i64)
      (i64.const 4) (local.get 0) (if (param i64) (result i64) (then (i64.const 10) (i64.mul)))))
  (assert_return (invoke "swap" (i32.const 1) (i64.const 2)) (i64.const 2) (i32.const 1))
  (assert_return (invoke "call-swap") (i64.const 42))
  (assert_return (invoke "block-params" (i32.const 3)) (i32.const 7))
  (assert_return (invoke "loop-params" (i32.const 4)) (i32.const 10))
  (assert_return (invoke "if-params" (i32.const 1)) (i32.const 7) (i32.const 1))
  (assert_return (invoke "if-params" (i32.const 0)) (i32.const 12) (i32.const 2))
  (assert_return (invoke "br-values") (i32.const 5) (i64.const 6))
  (assert_return (invoke "br-if-values" (i32.const 1)) (i32.const 1) (i32.const 2))
  (assert_return (invoke "br-if-values" (i32.const 0)) (i32.const 8) (i32.const 9))
  (assert_return (invoke "return-values") (f32.const 1.5) (i32.const -1))
  (assert_return (invoke "if-no-else" (i32.const 1)) (i64.const 40))
  (assert_return (invoke "if-no-else" (i32.const 0)) (i64.const 4))
  (assert_invalid (module (func (i32.const 1) (if (param i32) (result i64) (then (drop) (i64.const 0))))) "type mismatch")
  (assert_invalid (module (func (block (type 5)))) "unknown type")
  (assert_malformed (module quote "(func (block (param $x i32) (drop)))") "unexpected token")
`;

describe('multi-value through decode, validate, lower, interpreter and compiled engine', () => {
  // @spec DMIR-WASM-MULTI.1 DMIR-STRUCT-MULTI.1 DMIR-EXEC-CALL.1 DMIR-EXEC-MODE.1
  for (const executor of ['interpreter', 'compiled'] as const) {
    it(`passes every command on the ${executor} (DMIR-WASM-MULTI.1)`, () => {
      const r = runWast(SCRIPT, 'multi-value.wast', executor);
      expect(r.details).toEqual([]);
      expect(r.pass).toBe(16);
    });
  }
});
