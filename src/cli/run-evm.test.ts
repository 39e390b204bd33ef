import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from './commands.js';

const run = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
};
const w = (v: bigint): string => v.toString(16).padStart(64, '0');
const EXAMPLE = fileURLToPath(new URL('../../examples/cross-vm/', import.meta.url));

describe('pharos-spec run evm (EVM-CLI-RUN.1)', () => {
  it('EVM-CLI-RUN.1 prints status, gas used, return data and logs of EVM bytecode', async () => {
    // PUSH1 2 PUSH1 3 ADD PUSH0 MSTORE PUSH1 32 PUSH0 LOG0 PUSH1 32 PUSH0 RETURN
    const r = await run('run', 'evm', '0x60026003015f526020' + '5fa0' + '60205ff3');
    expect(r.code, r.err).toBe(0);
    // PUSH1 3, PUSH1 3, ADD 3, PUSH0 2, MSTORE 3 + 3 memory, PUSH1 3, PUSH0 2, LOG0 375 + 8·32, PUSH1 3, PUSH0 2, RETURN 0 = 658
    expect(r.out).toBe([
      'status: success', 'gas used: 658', `return: 0x${w(5n)}`, 'logs: 1',
      `  log 0: address 0x00000000000000000000000000000000000c0de0 topics [] data 0x${w(5n)}`,
    ].join('\n'));
    const rev = await run('run', 'evm', '0x60006000fd');
    expect(rev.out.split('\n')[0]).toBe('status: revert (Revert)');
    const bad = await run('run', 'evm', '0x01', '--gas', '1000');
    expect(bad.out.split('\n').slice(0, 2)).toEqual(['status: halt (StackUnderflow)', 'gas used: 1000']);
  });

  it('EVM-CLI-TRACE.1 --trace prints one EIP-3155 line per instruction, then the summary line', async () => {
    const r = await run('run', 'evm', '0x6001600201' + '00', '--trace', '--calldata', '0xab');
    const lines = r.out.split('\n');
    const steps = lines.slice(0, 4).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(steps.map((s) => s['opName'])).toEqual(['PUSH1', 'PUSH1', 'ADD', 'STOP']);
    expect(steps[2]).toEqual({ pc: 4, op: 1, gas: '0x98967a', gasCost: '0x3', memSize: 0, stack: ['0x1', '0x2'], depth: 1, refund: 0, opName: 'ADD' });
    expect(steps[3]!['gasCost']).toBe('0x0');
    expect(JSON.parse(lines[4]!)).toEqual({ output: '', gasUsed: '0x9' });
  });

  it('EVM-CLI-RUN.1 EVM-XVM-CALL.1 runs the cross-VM example from its state file', async () => {
    const state = join(EXAMPLE, 'state.json');
    const shop = await run('run', 'evm', '0x1000000000000000000000000000000000000c01', '--state', state, '--calldata', `0x${w(120n)}`);
    expect(shop.code, shop.err).toBe(0);
    expect(shop.out).toContain(`return: 0x${w(27_000n)}`);
    expect(shop.out).toContain('storage 0x2000000000000000000000000000000000000a5a: 0x0=0x1');
    const consumer = await run('run', 'evm', '0x2000000000000000000000000000000000000b0b', '--state', state, '--calldata', `0x${w(7n)}`);
    expect(consumer.out).toContain(`return: 0x${w(21n)}`);
    // A trace through the cross-VM call shows the EVM frame only; WASM frames are not traced.
    const traced = await run('run', 'evm', '0x1000000000000000000000000000000000000c01', '--state', state, '--calldata', `0x${w(1n)}`, '--trace');
    const ops = traced.out.split('\n').filter((l) => l.startsWith('{"pc"')).map((l) => (JSON.parse(l) as { opName: string }).opName);
    expect(ops.slice(0, 4)).toEqual(['CALLDATASIZE', 'PUSH0', 'PUSH0', 'CALLDATACOPY']);
    expect(ops).toContain('CALL');
    // A .wat file runs as the called code directly.
    const wat = await run('run', 'evm', join(EXAMPLE, 'pricing.wat'), '--calldata', `0x${w(4n)}`);
    expect(wat.out).toContain(`return: 0x${w(1000n)}`);
  });

  it('EVM-CLI-RUN.1 random and corrupted state files never throw: exit 0 or a usage error with a code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'run-evm-fuzz-'));
    const path = join(dir, 'state.json');
    const good = JSON.stringify({ accounts: { '0x1000000000000000000000000000000000000001': { balance: '0x10', code: '0x6001600055', storage: { '0x1': '2' } } } });
    const value = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('0x', '0x1', '12', '-1', '0xzz', '1e3'), fc.integer(), fc.constant(null));
    const doc = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.tuple(fc.nat({ max: good.length }), fc.string({ maxLength: 4 })).map(([i, t]) => good.slice(0, i) + t + good.slice(i + 1)),
      fc.record({ accounts: fc.dictionary(fc.oneof(fc.constant('0x1000000000000000000000000000000000000001'), fc.string({ maxLength: 6 })),
        fc.record({ balance: value, nonce: value, code: value, storage: fc.dictionary(fc.string({ maxLength: 4 }), value, { maxKeys: 2 }) }, { requiredKeys: [] }), { maxKeys: 2 }) }).map((d) => JSON.stringify(d)),
    );
    await fc.assert(fc.asyncProperty(doc, async (text) => {
      writeFileSync(path, text);
      const r = await run('run', 'evm', '0x1000000000000000000000000000000000000001', '--state', path, '--gas', '100000');
      expect([0, 2]).toContain(r.code);
      if (r.code === 2) expect(r.err).toMatch(/^Cli\.[A-Z_]+: /);
    }), { numRuns: 150 });
  });

  it('EVM-CLI-RUN.1 bad arguments are usage errors (exit 2) with stable codes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'run-evm-'));
    const badJson = join(dir, 'bad.json');
    writeFileSync(badJson, '{"accounts": {"0x12": {}}}');
    const badCode = join(dir, 'bad.hex');
    writeFileSync(badCode, 'zz');
    const cases: [string[], string][] = [
      [[], 'Cli.MISSING_ARGUMENT'],
      [['0x6'], 'Cli.BAD_VALUE'],
      [['0x00', '--calldata', '12'], 'Cli.BAD_VALUE'],
      [['0x00', '--gas', '-1'], 'Cli.BAD_VALUE'],
      [['0x00', '--value', 'lots'], 'Cli.BAD_VALUE'],
      [['0x00', '--state', join(dir, 'missing.json')], 'Cli.READ_FAILED'],
      [['0x00', '--state', badJson], 'Cli.STATE_FILE_INVALID'],
      [['0x1000000000000000000000000000000000000999', '--state', join(EXAMPLE, 'state.json')], 'Cli.UNKNOWN_ACCOUNT'],
      [[join(dir, 'missing.bin')], 'Cli.READ_FAILED'],
      [[badCode], 'Cli.BAD_VALUE'],
      [['0x00', '--tracee'], 'Cli.UNKNOWN_OPTION'],
      [['0x00', '0x01'], 'Cli.UNEXPECTED_ARGUMENT'],
    ];
    for (const [argv, code] of cases) {
      const r = await run('run', 'evm', ...argv);
      expect([r.code, r.err.split(':')[0]], argv.join(' ')).toEqual([2, code]);
    }
  });
});
