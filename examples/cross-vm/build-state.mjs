// Writes state.json for the cross-VM example: the two WASM contracts compiled from their .wat
// files with the project's text parser, and the two EVM contracts assembled from the opcode
// listings below (the same listings as README.md). Run after `npm run build`:
//   node examples/cross-vm/build-state.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { watToWasm } = await import(join(here, '../../dist/src/cli/run-evm.js'));

export const SHOP = '0x1000000000000000000000000000000000000c01';
export const ORACLE = '0x1000000000000000000000000000000000000e01';
export const PRICING = '0x2000000000000000000000000000000000000a5a';
export const CONSUMER = '0x2000000000000000000000000000000000000b0b';
export const BUYER = '0x3000000000000000000000000000000000000001';

const asm = (parts) => '0x' + parts.join('');
// The shop (EVM): forwards its calldata and value to the pricing contract, stores the price and the
// call's success flag, logs the price, returns it; a failed call reverts with the callee's data.
const shop = asm([
  '36', '5f', '5f', '37',            // CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY   mem[0..] = calldata
  '6020', '5f', '36', '5f', '34',    // PUSH1 32 PUSH0 CALLDATASIZE PUSH0 CALLVALUE   retSize retOff argsSize argsOff value
  '73' + PRICING.slice(2), '5a',     // PUSH20 pricing, GAS
  'f1',                              // CALL -> success
  '80', '6001', '55',                // DUP1 PUSH1 1 SSTORE                 slot 1 = success
  '602f', '57',                      // PUSH1 0x2f JUMPI                    success -> 0x2f
  '3d', '5f', '5f', '3e',            // RETURNDATASIZE PUSH0 PUSH0 RETURNDATACOPY
  '3d', '5f', 'fd',                  // RETURNDATASIZE PUSH0 REVERT          propagate the revert
  '5b',                              // 0x2f: JUMPDEST
  '5f', '51', '5f', '55',            // PUSH0 MLOAD PUSH0 SSTORE             slot 0 = price
  '6001', '6020', '5f', 'a1',        // PUSH1 1 PUSH1 32 PUSH0 LOG1          log(price), topic 1
  '6020', '5f', 'f3',                // PUSH1 32 PUSH0 RETURN                return the price
]);
// The rate oracle (EVM): returns 3.
const oracle = asm(['6003', '5f', '52', '6020', '5f', 'f3']);

const wasm = (file) => '0x' + Buffer.from(watToWasm(readFileSync(join(here, file), 'utf8'))).toString('hex');
const state = {
  caller: BUYER,
  accounts: {
    [BUYER]: { balance: '1000000000000000000' },
    [SHOP]: { nonce: '1', code: shop },
    [ORACLE]: { nonce: '1', code: oracle },
    [PRICING]: { nonce: '1', code: wasm('pricing.wat') },
    [CONSUMER]: { nonce: '1', code: wasm('rate-consumer.wat') },
  },
};
writeFileSync(join(here, 'state.json'), JSON.stringify(state, null, 2) + '\n');
console.log(`wrote ${join(here, 'state.json')}`);
