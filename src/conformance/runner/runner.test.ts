import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allKinds, kindByName } from '../kinds/index.js';
import { buildCase } from '../vectors/generate.js';
import type { LoadedSuite } from '../vectors/load.js';
import { builtinClient, processClient, ClientStartError } from './client.js';
import { runSuites, summarize } from './run.js';
import { HelloReply, ResultReply, decodeClientLine } from './protocol.js';
import { reportToJUnit, formatRunTable } from './report.js';
import { loadVectorDir } from '../vectors/load.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const fixture = join(root, 'src/conformance/runner/fixtures/broken-client.mjs');
const digest = kindByName('encoding/digest')!;

const suiteOf = (cases: { id: string; data: string }[]): LoadedSuite => {
  const built = cases.map((c) => buildCase(digest, { id: c.id, description: c.id, requirements: [], input: { algorithm: 'sha256', data: c.data } }));
  return { file: 'test.json', kind: digest, cases: built, header: { $schema: '', format: 'pharos-vectors/1', kind: 'encoding/digest', suite: 'test', specVersion: '0', generator: { name: 't', seed: 0 }, description: '', cases: built } };
};

describe('conformance runner (VEC-CLIENT-VERDICTS.1, VEC-CLIENT-FAULTS.1, VEC-CLIENT-RUN.1)', () => {
  it('model and impl pass every committed vector', async () => {
    const loaded = await loadVectorDir(join(root, 'vectors'), allKinds);
    expect(loaded.problems).toEqual([]);
    for (const which of ['model', 'impl'] as const) {
      const client = builtinClient(which, allKinds, 'test');
      const report = await runSuites(client, await client.start(), loaded.suites, { timeoutMs: 10_000 });
      expect(report.counts.pass).toBe(report.results.length);
      expect(report.executed).toBeGreaterThan(300);
      expect(report.ok).toBe(true);
    }
  });

  it('gives a broken client every failing verdict and keeps going after crashes', async () => {
    const suite = suiteOf([
      { id: 'good-1', data: '0x01' },
      { id: 'wrongoutput-1', data: '0x02' },
      { id: 'wrongerror-1', data: '0xabc' },
      { id: 'accepts-1', data: '0xabc' },
      { id: 'hang-1', data: '0x03' },
      { id: 'good-2', data: '0x04' },
      { id: 'exit-1', data: '0x05' },
      { id: 'good-3', data: '0x06' },
      { id: 'garbage-1', data: '0x07' },
      { id: 'badseq-1', data: '0x08' },
      { id: 'good-4', data: '0xabc' },
    ]);
    const client = processClient(`node ${fixture}`);
    const info = await client.start();
    const report = await runSuites(client, info, [suite], { timeoutMs: 1500 });
    await client.close();
    const verdicts = Object.fromEntries(report.results.map((r) => [r.id.split('/').at(-1), r.verdict]));
    expect(verdicts).toEqual({
      'good-1': 'pass', 'wrongoutput-1': 'fail', 'wrongerror-1': 'wrong_error', 'accepts-1': 'fail', 'hang-1': 'timeout', 'good-2': 'pass',
      'exit-1': 'crash', 'good-3': 'pass', 'garbage-1': 'crash', 'badseq-1': 'crash', 'good-4': 'pass',
    });
    const byId = (id: string) => report.results.find((r) => r.id.endsWith(id))!;
    expect(byId('exit-1').stderr).toContain('about to exit');
    expect(byId('garbage-1').message).toContain('Protocol.MALFORMED_LINE');
    expect(byId('garbage-1').message).toContain('this is not json');
    expect(byId('badseq-1').message).toContain('seq');
    expect(byId('wrongoutput-1').message).toContain('/digest');
    expect(report.ok).toBe(false);
    const junit = reportToJUnit(report);
    expect(junit).toContain('<failure type="wrong_error"');
    expect(junit).toContain('<error type="timeout"');
    expect(formatRunTable(report)).toContain('FAILED');
  }, 30_000);

  it('never counts unsupported or skipped cases as passes, and fails a run that executed nothing', async () => {
    const suite = suiteOf([{ id: 'good-1', data: '0x01' }, { id: 'good-2', data: '0x02' }]);
    const noKinds = { name: 'x', version: '1', kinds: [] };
    const client = builtinClient('model', allKinds, 'test');
    const unsupported = await runSuites(client, noKinds, [suite], { timeoutMs: 1000 });
    expect(unsupported.counts.unsupported).toBe(2);
    expect(unsupported.counts.pass).toBe(0);
    expect(unsupported.ok).toBe(false);
    const skipped = await runSuites(client, await client.start(), [suite], { timeoutMs: 1000, skips: [{ pattern: 'encoding/digest/test/good-*', reason: 'testing' }] });
    expect(skipped.counts.skipped).toBe(2);
    expect(skipped.results[0]!.message).toBe('testing');
    expect(skipped.ok).toBe(false);
    expect(summarize(noKinds, []).ok).toBe(false);
  });

  it('reports a client that never says hello', async () => {
    const client = processClient('echo not-a-hello');
    await expect(client.start()).rejects.toBeInstanceOf(ClientStartError);
    await expect(processClient('exit 4').start()).rejects.toThrow(/exited with code 4/);
  });
});

describe('client lines (VEC-CLIENT-LINES.1)', () => {
  it('name the problem and quote the line', () => {
    const r = decodeClientLine(ResultReply, '{"type":"result","seq":"1","ok":true}', 'result');
    expect(!r.ok && r.error.code).toBe('Protocol.UNEXPECTED_MESSAGE');
    expect(!r.ok && r.error.message).toContain('seq');
    const dup = decodeClientLine(HelloReply, '{"type":"hello","type":"hello"}', 'hello');
    expect(!dup.ok && dup.error.code).toBe('Protocol.MALFORMED_LINE');
  });
  it('never throw on arbitrary lines (fuzz)', () => {
    const lines = fc.oneof(fc.string({ unit: 'binary' }), fc.json(), fc.record({ type: fc.constantFrom('result', 'hello'), seq: fc.integer(), ok: fc.boolean(), output: fc.jsonValue(), error: fc.string() }).map((o) => JSON.stringify(o)));
    fc.assert(fc.property(lines, (line) => {
      const a = decodeClientLine(ResultReply, line, 'x');
      const b = decodeClientLine(HelloReply, line, 'x');
      return typeof a.ok === 'boolean' && typeof b.ok === 'boolean';
    }), { numRuns: 2000 });
  });
});
