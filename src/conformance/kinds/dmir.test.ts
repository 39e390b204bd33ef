/**
 * The wasm vector kinds: the engine's own binary reader against the model's decoder, and the
 * Node WebAssembly example client (a third party for these kinds) on the committed vectors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeModule } from '../../model/dmir/wasm/decode.js';
import { encodeModule } from '../../model/dmir/wasm/encode.js';
import { readWasm } from '../../impl/dmir/decode.js';
import { applyMutations, byteMutation as mutation, wasmModule } from '../wast/gen.js';
import { runCli } from '../../cli/commands.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const RUNS = Number(process.env['DMIR_READER_RUNS'] ?? (process.env['PHAROS_SLOW'] ? 20_000 : 2_000));

/** Both readings as comparable values: the module, or the error code. */
const both = (b: Uint8Array): [unknown, unknown] => {
  const m = decodeModule(b);
  const i = readWasm(b);
  return [m.ok ? m.value : m.error.code, i.ok ? i.value : i.error.code];
};


describe('the engine binary reader against the model decoder (DMIR-WASM-DECODE.1)', () => {
  // @spec DMIR-WASM-DECODE.1 DMIR-WASM-PROFILE.1 DMIR-WASM-LIMITS.1
  it(`reads ${RUNS} generated modules identically`, () => {
    fc.assert(fc.property(wasmModule({ depth: 2 }), ({ module }) => {
      const [m, i] = both(encodeModule(module));
      expect(i).toEqual(m);
    }), { numRuns: RUNS, seed: 91 });
  });

  it(`gives the same code on ${RUNS} mutated modules and never throws`, () => {
    fc.assert(fc.property(wasmModule({ depth: 2 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), ({ module }, ms) => {
      const b = applyMutations(encodeModule(module), ms);
      const [m, i] = both(b);
      expect(i).toEqual(m);
    }), { numRuns: RUNS, seed: 92 });
  });

  it('gives the same code on random bytes after a valid header', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (tail) => {
      const [m, i] = both(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...tail]));
      expect(i).toEqual(m);
    }), { numRuns: RUNS, seed: 93 });
  });
});

const cli = async (...argv: string[]): Promise<{ code: number; out: string }> => {
  const out: string[] = [];
  const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => out.push(s) });
  return { code, out: out.join('\n') };
};

describe('the Node WebAssembly example client (VEC-CLIENT-RUN.1)', () => {
  const client = `node ${join(root, 'examples/clients/node-wasm/client.mjs')}`;
  const skip = join(root, 'examples/clients/node-wasm/skip.json');

  // @spec DMIR-EXEC-MODE.1 VEC-CLIENT-RUN.1 VEC-CLIENT-SKIP.1
  it('passes every wasm/run case it does not skip, and declares the gas and limit kinds unsupported', async () => {
    const r = await cli('conform', '--client', client, '--skip', skip, '--kind', 'wasm/run', '--kind', 'wasm/invoke', '--kind', 'wasm/decode');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('client: pharos-node-wasm-client');
    expect(r.out).toMatch(/wasm\/invoke\/gas\s+0\s+0\s+0\s+7\s/);
    expect(r.out).toMatch(/wasm\/run\/hand-picked\s+[1-9][0-9]*\s+0\s/);
  }, 60_000);

  it('fails exactly the cases its skip file lists (the skips hide nothing that passes)', async () => {
    const withSkips = await cli('conform', '--client', client, '--skip', skip, '--kind', 'wasm/run');
    const skipped = Number(/total\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+)/.exec(withSkips.out)?.[1]);
    const r = await cli('conform', '--client', client, '--kind', 'wasm/run');
    expect(r.code).toBe(1);
    expect(skipped).toBeGreaterThan(0);
    expect(r.out).toMatch(new RegExp(`FAILED: ${skipped} of \\d+ executed cases`));
  }, 60_000);
});
