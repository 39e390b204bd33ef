import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, utf8 } from '../encoding/index.js';
import {
  create2Address, createAddress, EMPTY_TRIE_ROOT, executeCode, jumpdests, memoryCost, messageCallGas, modexpGas, rlpEncode, sstoreCost, trieRoot,
  type Ctx, type Message,
} from './index.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/^0x/, ''), 'hex'));

describe('RLP and trie', () => {
  it('EVM-STATE-RLP.1 yellow paper examples', () => {
    expect(bytesToHex(rlpEncode(utf8('dog')))).toBe('0x83646f67');
    expect(bytesToHex(rlpEncode([utf8('cat'), utf8('dog')]))).toBe('0xc88363617483646f67');
    expect(bytesToHex(rlpEncode(new Uint8Array(0)))).toBe('0x80');
    expect(bytesToHex(rlpEncode([]))).toBe('0xc0');
    expect(bytesToHex(rlpEncode(Uint8Array.of(0x0f)))).toBe('0x0f');
    expect(bytesToHex(rlpEncode(utf8('Lorem ipsum dolor sit amet, consectetur adipisicing elit')))).toMatch(/^0xb838/);
  });
  it('EVM-STATE-TRIE.1 empty root and the ethereum/tests trietest "puppy" vector', () => {
    expect(bytesToHex(EMPTY_TRIE_ROOT)).toBe('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421');
    const root = trieRoot([[utf8('do'), utf8('verb')], [utf8('horse'), utf8('stallion')], [utf8('doge'), utf8('coin')], [utf8('dog'), utf8('puppy')]]);
    expect(bytesToHex(root)).toBe('0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84');
  });
});

describe('gas rules', () => {
  it('EVM-MEM-COST.1 memory cost', () => {
    expect(memoryCost(1n)).toBe(3n);
    expect(memoryCost(1024n)).toBe(3n * 1024n + 2048n);
  });
  it('EVM-SSTORE-GAS.1 EVM-SSTORE-REFUND.1 EIP-3529 table (warm slot): original, current, new -> gas, refund', () => {
    // Rows of the EIP-3529 test-case table with the 2100 cold surcharge removed (slot already warm).
    const rows: [bigint, bigint, bigint, bigint, bigint][] = [
      [0n, 0n, 0n, 100n, 0n], [0n, 0n, 1n, 20000n, 0n], [1n, 1n, 0n, 2900n, 4800n], [1n, 1n, 2n, 2900n, 0n], [1n, 1n, 1n, 100n, 0n],
      [0n, 1n, 0n, 100n, 19900n], [1n, 0n, 1n, 100n, -4800n + 2800n], [1n, 0n, 0n, 100n, 0n], [1n, 2n, 1n, 100n, 2800n], [1n, 2n, 0n, 100n, 4800n],
    ];
    for (const [o, c, n, g, r] of rows) expect(sstoreCost(o, c, n)).toEqual({ gas: g, refund: r });
  });
  it('EVM-CALL-6364.1 EVM-CALL-GAS.1 the callee gets at most 63/64 and the stipend on value', () => {
    expect(messageCallGas(0n, 1_000_000n, 64_000n, 0n, 0n)).toEqual({ cost: 63_000n, subCall: 63_000n });
    expect(messageCallGas(1n, 100n, 64_000n, 0n, 9000n)).toEqual({ cost: 9100n, subCall: 2400n });
  });
  it('EVM-PRE-MODEXP.1 EIP-2565 minimum and a 32-byte exponent', () => {
    expect(modexpGas(1n, 1n, 1n, 1n)).toBe(200n);
    expect(modexpGas(32n, 32n, 32n, (1n << 255n))).toBe((16n * 255n) / 3n > 200n ? (16n * 255n) / 3n : 200n);
  });
});

describe('addresses and code analysis', () => {
  it('EVM-CREATE-ADDRESS.1 EIP-1014 example 0 and a CREATE address', () => {
    expect(create2Address('0x' + '00'.repeat(20), 0n, hex('00'))).toBe('0x4d1a2e2bb4f88f0250f26ffff098b0b30b26bf38');
    expect(createAddress('0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0', 0n)).toBe('0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d');
  });
  it('EVM-CODE-JUMPDEST.1 a JUMPDEST inside PUSH data is not a destination', () => {
    expect([...jumpdests(hex('605b5b'))]).toEqual([2]);
  });
});

const ctx0: Ctx = {
  state: new Map(), transient: new Map(), original: new Map(),
  block: { coinbase: '0x' + '00'.repeat(20), number: 1n, timestamp: 1n, gasLimit: 30_000_000n, baseFee: 7n, prevRandao: 0n, chainId: 1n, blobBaseFee: 1n, blockHashes: [] },
  tx: { origin: '0x' + '11'.repeat(20), gasPrice: 10n, blobHashes: [] },
  sub: { accessedAddresses: new Set(), accessedKeys: new Set(), touched: new Set(), toDelete: new Set(), created: new Set(), refund: 0n, logs: [] },
};
const message = (code: Uint8Array, gas = 100_000n): Message => ({
  caller: '0x' + '11'.repeat(20), target: '0x' + '22'.repeat(20), currentTarget: '0x' + '22'.repeat(20), codeAddress: '0x' + '22'.repeat(20),
  gas, value: 0n, data: new Uint8Array(0), code, depth: 0, shouldTransferValue: false, isStatic: false,
});

describe('instructions', () => {
  it('EVM-STATUS.1 RETURN, REVERT and exceptional halts', () => {
    // PUSH1 2 PUSH1 3 ADD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    const r = executeCode(message(hex('6002600301600052602060' + '00f3')), ctx0);
    expect(r.ok && r.value.status).toBe('success');
    if (r.ok) { expect(bytesToHex(r.value.output)).toBe('0x' + '00'.repeat(31) + '05'); expect(r.value.gasLeft).toBe(100_000n - 3n * 6n - 3n - 3n); }
    const rv = executeCode(message(hex('60006000fd')), ctx0);
    expect(rv.ok && rv.value.status).toBe('revert');
    const h = executeCode(message(hex('01')), ctx0);
    expect(h.ok && [h.value.status, h.value.reason, h.value.gasLeft]).toEqual(['halt', 'StackUnderflow', 0n]);
    const j = executeCode(message(hex('600556')), ctx0);
    expect(j.ok && j.value.reason).toBe('InvalidJumpDest');
  });
  it('EVM-FRAME-EXEC.1 arbitrary bytecode never throws and never gains gas', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.bigInt({ min: 0n, max: 200_000n }), (code, gas) => {
      const r = executeCode(message(code, gas), ctx0);
      if (r.ok) { expect(r.value.gasLeft >= 0n && r.value.gasLeft <= gas).toBe(true); }
    }), { numRuns: 500 });
  });
});
