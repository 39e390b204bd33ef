import { describe, expect, it } from 'vitest';
import { createEVM } from '@ethereumjs/evm';
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { Account, Address } from '@ethereumjs/util';
import { executeCallSync, runCallOnEthereumjs, type PlainCallInput } from './index.js';
import { ethereumjsLib } from './ethereumjs-lib.js';
import { precompileProbe } from '../../conformance/ethereum/gen.js';

const A = '0x' + '11'.repeat(20), B = '0x' + '22'.repeat(20);
const input = (code: string): PlainCallInput => ({
  accounts: [
    { address: A, nonce: 0n, balance: 10n ** 18n, code: new Uint8Array(0), storage: [] },
    { address: B, nonce: 1n, balance: 0n, code: Uint8Array.from(Buffer.from(code, 'hex')), storage: [[1n, 5n]] },
  ],
  block: { coinbase: '0x' + '33'.repeat(20), number: 1n, timestamp: 1000n, gasLimit: 30_000_000n, baseFee: 7n, prevRandao: 0n },
  gasPrice: 10n,
  call: { caller: A, to: B, value: 5n, data: new Uint8Array(0), gas: 100_000n },
});

describe('@ethereumjs/evm adapter', () => {
  // @spec EVM-CALL-EXECUTE.1
  it('EVM-CALL-EXECUTE.1 the synchronous worker path answers exactly as the direct call', async () => {
    const lib = { createEVM, Common, Mainnet, Hardfork, Address, Account };
    // SSTORE(0, 1 + 2); LOG1 over 32 bytes of memory; RETURN 32 bytes.
    const x = input('600160020160005560aa60206000a160206000f3');
    const direct = await runCallOnEthereumjs(lib, x);
    const sync = executeCallSync(x);
    expect(sync).toEqual({ ok: true, value: direct });
    expect(direct.status).toBe('success');
    // 21 bytes of pushes and ops: 3+3+3+3 + SSTORE cold set 22100 + LOG1 (375+375+8*32+memory 3) + 3+3 + RETURN.
    expect(direct.gasUsed).toBe(3n * 4n + 22100n + 3n + 3n + 3n + 750n + 256n + 3n + 3n + 3n);
    expect(direct.logs).toHaveLength(1);
  });
  it('EVM-CALL-EXECUTE.1 a revert keeps no storage and no logs', () => {
    const r = executeCallSync(input('6001600055600160aaa060006000fd'));
    expect(r.ok && r.value.status).toBe('revert');
    expect(r.ok && r.value.accounts.find((a) => a.address === B)?.storage).toEqual([[1n, 5n]]);
    expect(r.ok && r.value.logs).toEqual([]);
  });
  // @spec EVM-PRE-KZG.1
  it('EVM-PRE-KZG.1 the point evaluation precompile answers on both paths once a KZG library is configured', async () => {
    const valid = Uint8Array.from(Buffer.from('01e798154708fe7789429634053cbf9f99b619f9f084048927333fce637f549b564c0a11a0f704f4fc3e8acfe0f8245f0ad1347b378fbf96e206da11a5d3630624d25032e67a7e6a4910df5834b8fe70e6bcfeeac0352434196bdf4b2485d5a18f59a8d2a1a625a17f3fea0fe5eb8c896db3764f3185481bc22f91b4aaffcca25f26936857bc3a7c2539ea8ec3a952b7873033e038326e87ed3e1276fd140253fa08e9fc25fb2d9a98527fc22a2c9612fbeafdad446cbc7bcdbdcd780af2c16a', 'hex'));
    const bad = valid.slice();
    bad[100] = bad[100]! ^ 1;
    for (const [data, flag] of [[valid, 1], [bad, 0]] as const) {
      const x = { ...input(''), call: { ...input('').call, gas: 2_000_000n } };
      const probe = { ...x, accounts: x.accounts.map((a) => (a.address === B ? { ...a, code: precompileProbe(10, data) } : a)) };
      const direct = await runCallOnEthereumjs(ethereumjsLib, probe);
      expect(executeCallSync(probe)).toEqual({ ok: true, value: direct });
      expect(direct.status).toBe('success');
      expect(direct.output[31]).toBe(flag);
      // FIELD_ELEMENTS_PER_BLOB = 4096 after the success flag, for the valid input only.
      expect(direct.output.length).toBe(flag === 1 ? 96 : 32);
    }
  });
});
