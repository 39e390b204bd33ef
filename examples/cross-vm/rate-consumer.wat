;; A WASM contract that calls back into the EVM: it asks an EVM rate oracle for a rate and
;; returns amount × rate.
;;
;; Calldata: one 32-byte big-endian amount (low 8 bytes used).
;; Calls:    the EVM contract whose address is stored at memory 0..20 (data segment), with no
;;           value and no input, forwarding all its gas (the host caps it at 63/64).
;; Returns:  amount × rate as a 32-byte big-endian word; if the oracle fails or reverts, reverts
;;           with the oracle's return data.
(module
  (import "env" "callDataCopy" (func $callDataCopy (param i32 i32 i32)))
  (import "env" "getGasLeft" (func $getGasLeft (result i64)))
  (import "env" "callContract" (func $callContract (param i64 i32 i32 i32 i32) (result i32)))
  (import "env" "getReturnDataSize" (func $getReturnDataSize (result i32)))
  (import "env" "returnDataCopy" (func $returnDataCopy (param i32 i32 i32)))
  (import "env" "finish" (func $finish (param i32 i32)))
  (import "env" "revert" (func $revert (param i32 i32)))
  (memory 1)
  ;; 0..20: the oracle's address; 20..52: the value sent (zero).
  (data (i32.const 0) "\10\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\0e\01")

  (func $gas (export "__instrumented_use_gas") (param i64))

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

  ;; Memory: 64..96 calldata, 96..128 the oracle's answer, 128..160 the result.
  (func (export "call")
    (local $size i32)
    (call $gas (i64.const 40))
    (call $callDataCopy (i32.const 64) (i32.const 0) (i32.const 32))
    (if (i32.ne (call $callContract (call $getGasLeft) (i32.const 0) (i32.const 20) (i32.const 0) (i32.const 0)) (i32.const 0))
      (then
        (local.set $size (call $getReturnDataSize))
        (call $returnDataCopy (i32.const 96) (i32.const 0) (local.get $size))
        (call $revert (i32.const 96) (local.get $size))))
    (call $returnDataCopy (i32.const 96) (i32.const 0) (i32.const 32))
    (call $store_be64 (i32.const 152)
      (i64.mul (call $load_be64 (i32.const 88)) (call $load_be64 (i32.const 120))))
    (call $finish (i32.const 128) (i32.const 32))))
