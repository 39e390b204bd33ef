import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../cli/commands.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const cli = async (...argv: string[]): Promise<{ code: number; out: string }> => {
  const out: string[] = [];
  const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => out.push(s) });
  return { code, out: out.join('\n') };
};

describe('evm/execute vectors on the three clients', () => {
  // @spec EVM-CALL-EXECUTE.1 EVM-LOWER-EXEC.1 VEC-CLIENT-RUN.1
  it('EVM-LOWER-EXEC.1 the implementation (lowered code on the compiled dMIR engine) passes every evm/execute case', async () => {
    const r = await cli('conform', '--client', 'impl', '--kind', 'evm/execute');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/evm\/execute\/random\s+[1-9][0-9]*\s+0\s/);
  }, 120_000);

  // @spec EVM-CALL-EXECUTE.1 VEC-CLIENT-RUN.1
  it('EVM-CALL-EXECUTE.1 the @ethereumjs/evm client (built package) passes every evm/execute case', async () => {
    const client = `node ${join(root, 'examples/clients/ethereumjs/client.mjs')}`;
    const r = await cli('conform', '--client', client, '--kind', 'evm/execute');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('client: pharos-ethereumjs-evm-client');
    expect(r.out).toMatch(/evm\/execute\/basic\s+[1-9][0-9]*\s+0\s/);
  }, 120_000);
});
