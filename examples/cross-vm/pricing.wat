;; A WASM pricing contract for the cross-VM example.
;;
;; Calldata: one 32-byte big-endian quantity (only its low 8 bytes are used).
;; Returns:  the price as a 32-byte big-endian word: 250 wei per unit, 10% off from 100 units.
;; Storage:  slot 0 counts how many prices have been quoted.
;;
;; The module is gas-instrumented: every call of __instrumented_use_gas charges EVM gas 1:1.
(module
  (import "env" "callDataCopy" (func $callDataCopy (param i32 i32 i32)))
  (import "env" "storageLoad" (func $storageLoad (param i32 i32)))
  (import "env" "storageStore" (func $storageStore (param i32 i32)))
  (import "env" "finish" (func $finish (param i32 i32)))
  (memory 1)

  (func $gas (export "__instrumented_use_gas") (param i64))

  ;; Reads 8 bytes at ptr as a big-endian unsigned integer.
  (func $load_be64 (param $ptr i32) (result i64)
    (local $i i32) (local $v i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 8)))
        (call $gas (i64.const 4))
        (local.set $v (i64.or (i64.shl (local.get $v) (i64.const 8))
                              (i64.load8_u (i32.add (local.get $ptr) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $v))

  ;; Writes v as 8 big-endian bytes at ptr.
  (func $store_be64 (param $ptr i32) (param $v i64)
    (local $i i32)
    (local.set $i (i32.const 7))
    (block $done
      (loop $next
        (br_if $done (i32.lt_s (local.get $i) (i32.const 0)))
        (call $gas (i64.const 4))
        (i64.store8 (i32.add (local.get $ptr) (local.get $i)) (local.get $v))
        (local.set $v (i64.shr_u (local.get $v) (i64.const 8)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $next))))

  ;; Memory layout: 0..32 calldata, 32..64 storage key (zero), 64..96 counter, 96..128 price.
  (func (export "call")
    (local $qty i64) (local $price i64)
    (call $gas (i64.const 50))
    (call $callDataCopy (i32.const 0) (i32.const 0) (i32.const 32))
    (local.set $qty (call $load_be64 (i32.const 24)))
    (local.set $price (i64.mul (local.get $qty) (i64.const 250)))
    (if (i64.ge_u (local.get $qty) (i64.const 100))
      (then (local.set $price (i64.div_u (i64.mul (local.get $price) (i64.const 9)) (i64.const 10)))))
    ;; count the quote: slot 0 += 1
    (call $storageLoad (i32.const 32) (i32.const 64))
    (call $store_be64 (i32.const 88) (i64.add (call $load_be64 (i32.const 88)) (i64.const 1)))
    (call $storageStore (i32.const 32) (i32.const 64))
    (call $store_be64 (i32.const 120) (local.get $price))
    (call $finish (i32.const 96) (i32.const 32))))
