import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTraceMatrix,
  checkTraceMatrix,
  formatTraceMatrix,
  isRequirementId,
  traceMatrixToJson,
  type TraceMatrix,
} from './index.js';

// The fixture sources below are built from pieces so that this file itself cites nothing when the
// real repository is traced (a `@spec` tag or a test name with an ID would count as a citation).
const SPEC = '@' + 'spec';
const IT = 'it';

const fixture: Record<string, string> = {
  'spec/index.md': [
    '# Fixture spec',
    '',
    'Chapters: [Beta](beta.md) and [Alpha](alpha.md).',
    '',
    '**[FIX-INDEX-SCOPE.1]** This fixture covers the index.',
    '',
    'See [FIX-ALPHA-ONE.1] and `FIX-ALPHA-TWO.1`; and `FIX-GHOST-REF.1` is not defined anywhere.',
    '',
  ].join('\n'),
  'spec/alpha.md': [
    '# Alpha rules',
    '',
    '**[FIX-ALPHA-ONE.1]** Bytes are written as lowercase hex',
    'with a `0x` prefix.',
    '',
    '- **[FIX-ALPHA-TWO.1]** A list item statement.',
    '- **[FIX-ALPHA-UNCITED.1]** Nobody cites this one.',
    '',
    'A trailing form of definition. **[FIX-ALPHA-TRAIL.1]**',
    '',
    '```text',
    '**[FIX-IN-CODE.1]** is in a code block, so it is a reference, not a definition',
    '```',
    '',
    'Inline `**[FIX-ALPHA-TWO.1]**` is a reference too.',
    '',
    '**[FIX-BETA-ROW.1]** Defined a second time.',
    '',
  ].join('\n'),
  'spec/beta.md': [
    '# Beta',
    '',
    '| rule | statement |',
    '|---|---|',
    '| **[FIX-BETA-ROW.1]** | A table row statement. |',
    '',
  ].join('\n'),
  'src/model/alpha/rules.ts': [
    '/**',
    ' * Alpha rules.',
    ' * @packageDocumentation',
    ` * ${SPEC} FIX-INDEX-SCOPE.1`,
    ' */',
    '',
    `/** ${SPEC} FIX-ALPHA-ONE.1 */`,
    'export const ruleOne = (): number => 1;',
    '',
    '/**',
    ' * Rule two.',
    ` * ${SPEC} FIX-ALPHA-TWO.1 FIX-MISSING-RULE.1`,
    ' */',
    'export function ruleTwo(): number {',
    '  return 2;',
    '}',
    '',
    'export interface Shape {',
    `  /** ${SPEC} FIX-BETA-ROW.1 */`,
    '  readonly size: number;',
    '}',
    '',
    `/** ${SPEC} FIX-ALPHA-TRAIL.1 */`,
    'const helper = (): number => 3;',
    '',
    'export const usesHelper = (): number => helper();',
    '',
  ].join('\n'),
  'src/model/alpha/rules.test.ts': [
    "import { ruleOne } from './rules.js';",
    `${IT}('FIX-ALPHA-ONE.1: rule one is one', () => {});`,
    `// ${SPEC} FIX-ALPHA-TWO.1`,
    "const fixtureOnly = 'FIX-NOT-A-CITATION.1';",
    '',
  ].join('\n'),
  'src/impl/alpha/fast.ts': [`/** ${SPEC} FIX-ALPHA-ONE.1 */`, 'export const ruleOne = (): number => 1;', ''].join('\n'),
  'src/conformance/gen.ts': ["export const requirements = ['FIX-ALPHA-TWO.1'];", ''].join('\n'),
  'vectors/alpha/valid/basic.json': JSON.stringify(
    {
      format: 'pharos-vectors/1',
      suite: 'alpha-basic',
      cases: [
        { id: 'one', requirements: ['FIX-ALPHA-ONE.1'], input: {}, expected: { result: 'valid' } },
        { id: 'two', requirements: ['FIX-ALPHA-TWO.1', 'FIX-VECTOR-TYPO.1'], input: {}, expected: { result: 'valid' } },
      ],
    },
    null,
    2,
  ),
  'vectors/schema/case.json': JSON.stringify({ examples: ['FIX-SCHEMA-ONLY.1'] }),
  'spec/tla/Alpha.tla': [
    '---- MODULE Alpha ----',
    'VARIABLE x',
    `\\* ${SPEC} FIX-ALPHA-ONE.1`,
    'TypeOK == x \\in 0..3',
    '====',
    '',
  ].join('\n'),
  'spec/tla/MC_Alpha_small.cfg': [`\\* ${SPEC} FIX-ALPHA-TRAIL.1`, 'INVARIANT TypeOK', ''].join('\n'),
};

/** 1-based line of the first line of `file` containing `needle`. */
const lineOf = (file: string, needle: string): number =>
  (fixture[file] ?? '').split('\n').findIndex((l) => l.includes(needle)) + 1;

let root: string;
let m: TraceMatrix;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'trace-fixture-'));
  for (const [file, text] of Object.entries(fixture)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  m = await buildTraceMatrix(root);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const req = (id: string) => {
  const r = m.requirements.find((x) => x.id === id);
  if (r === undefined) throw new Error(`requirement ${id} missing`);
  return r;
};

describe('buildTraceMatrix on a fixture tree', () => {
  it('recognises the ID pattern', () => {
    expect(isRequirementId(['ENC', 'HEX', 'FORMAT.1'].join('-'))).toBe(true);
    expect(isRequirementId('Encoding.Hex.ODD_LENGTH')).toBe(false);
    expect(isRequirementId('ENC.1')).toBe(false);
  });

  it('orders chapters index first, then as linked from the index', () => {
    expect(m.chapters.map((c) => c.name)).toEqual(['index', 'beta', 'alpha']);
    expect(m.chapters.map((c) => c.title)).toEqual(['Fixture spec', 'Beta', 'Alpha rules']);
  });

  it('finds definitions with chapter, line and statement text', () => {
    const one = req('FIX-ALPHA-ONE.1');
    expect(one.chapter).toBe('alpha');
    expect(one.file).toBe('spec/alpha.md');
    expect(one.line).toBe(3);
    expect(one.text).toBe('Bytes are written as lowercase hex with a 0x prefix.');
    expect(req('FIX-ALPHA-TWO.1').text).toBe('A list item statement.');
    expect(req('FIX-ALPHA-TRAIL.1').text).toBe('A trailing form of definition.');
    expect(req('FIX-BETA-ROW.1').text).toBe('A table row statement.');
    expect(m.requirements.map((r) => r.id)).not.toContain('FIX-IN-CODE.1');
  });

  it('trims long statements to about 200 characters', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'trace-long-'));
    try {
      await mkdir(path.join(dir, 'spec'));
      await writeFile(path.join(dir, 'spec/x.md'), `**[FIX-LONG-TEXT.1]** ${'word '.repeat(100)}\n`);
      const t = await buildTraceMatrix(dir);
      const text = t.requirements[0]?.text ?? '';
      expect(text.length).toBeLessThanOrEqual(200);
      expect(text.endsWith('…')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('collects citations by kind, with model symbols, vector cases and TLA+ operators', () => {
    const one = req('FIX-ALPHA-ONE.1');
    expect(one.citations.model.map((c) => [c.symbol, c.symbolKind, c.line])).toEqual([
      ['ruleOne', 'declaration', lineOf('src/model/alpha/rules.ts', 'FIX-ALPHA-ONE.1')],
    ]);
    expect(one.citations.impl.map((c) => c.file)).toEqual(['src/impl/alpha/fast.ts']);
    expect(one.citations.test.map((c) => c.line)).toEqual([2]);
    expect(one.citations.vector.map((c) => [c.suite, c.caseId])).toEqual([['alpha-basic', 'one']]);
    expect(one.citations.tla.map((c) => c.symbol)).toEqual(['TypeOK']);

    const two = req('FIX-ALPHA-TWO.1');
    expect(two.citations.model.map((c) => c.symbol)).toEqual(['ruleTwo']);
    expect(two.citations.test.map((c) => c.line)).toEqual([3]);
    expect(two.citations.conformance.map((c) => c.file)).toEqual(['src/conformance/gen.ts']);
    expect(two.citations.vector.map((c) => c.caseId)).toEqual(['two']);

    expect(req('FIX-BETA-ROW.1').citations.model.map((c) => [c.symbol, c.symbolKind])).toEqual([
      ['Shape.size', 'member'],
    ]);
    expect(req('FIX-INDEX-SCOPE.1').citations.model.map((c) => [c.symbol, c.symbolKind])).toEqual([
      ['alpha/rules', 'module'],
    ]);
    expect(req('FIX-ALPHA-TRAIL.1').citations.model.map((c) => [c.symbol, c.local])).toEqual([['usesHelper', 'helper']]);
    expect(req('FIX-ALPHA-TRAIL.1').citations.tla.map((c) => [c.file, c.symbol])).toEqual([
      ['spec/tla/MC_Alpha_small.cfg', 'TypeOK'],
    ]);
  });

  it('counts references in spec prose: bracketed, inline code, and code blocks', () => {
    expect(req('FIX-ALPHA-ONE.1').references.map((r) => `${r.file}:${r.line}`)).toEqual(['spec/index.md:7']);
    expect(req('FIX-ALPHA-TWO.1').references.map((r) => `${r.file}:${r.line}`)).toEqual([
      'spec/index.md:7',
      'spec/alpha.md:15',
    ]);
  });

  it('reports dangling citations and references with file and line', () => {
    const where = m.dangling.map((d) => `${d.file}:${d.line} ${d.id}`);
    expect(where).toEqual([
      `spec/alpha.md:12 FIX-IN-CODE.1`,
      `spec/index.md:7 FIX-GHOST-REF.1`,
      `src/model/alpha/rules.ts:${lineOf('src/model/alpha/rules.ts', 'FIX-MISSING-RULE.1')} FIX-MISSING-RULE.1`,
      `vectors/alpha/valid/basic.json:${lineOf('vectors/alpha/valid/basic.json', 'FIX-VECTOR-TYPO.1')} FIX-VECTOR-TYPO.1`,
    ]);
    const typo = m.dangling.find((d) => d.id === 'FIX-VECTOR-TYPO.1');
    expect(typo?.source === 'citation' ? typo.caseId : undefined).toBe('two');
    expect(m.problems.filter((p) => p.code === 'Trace.DANGLING_REFERENCE')).toHaveLength(4);
    expect(m.ok).toBe(false);
  });

  it('ignores string fixtures in tests and the vector schema directory', () => {
    const all = JSON.stringify(m);
    expect(all).not.toContain('FIX-NOT-A-CITATION.1');
    expect(all).not.toContain('FIX-SCHEMA-ONLY.1');
  });

  it('lists a defined but uncited requirement as uncovered, not as a problem', () => {
    expect(m.uncovered).toEqual(['FIX-ALPHA-UNCITED.1']);
    expect(req('FIX-ALPHA-UNCITED.1').covered).toBe(false);
    expect(m.problems.some((p) => p.message.includes('FIX-ALPHA-UNCITED.1'))).toBe(false);
  });

  it('reports an ID defined twice as an error', () => {
    expect(m.duplicates).toEqual([
      {
        id: 'FIX-BETA-ROW.1',
        definitions: [
          { file: 'spec/beta.md', line: 5 },
          { file: 'spec/alpha.md', line: 17 },
        ],
      },
    ]);
    const dup = m.problems.filter((p) => p.code === 'Trace.DUPLICATE_DEFINITION');
    expect(dup.map((p) => `${p.file}:${p.line}`)).toEqual(['spec/alpha.md:17']);
    expect(req('FIX-BETA-ROW.1').file).toBe('spec/beta.md');
  });

  it('is ok when nothing dangles and nothing is duplicated, even with uncovered requirements', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'trace-clean-'));
    try {
      await mkdir(path.join(dir, 'spec'));
      await writeFile(path.join(dir, 'spec/index.md'), '# X\n\n**[FIX-CLEAN-ONE.1]** Uncited.\n');
      const t = await buildTraceMatrix(dir);
      expect(t.ok).toBe(true);
      expect(t.uncovered).toEqual(['FIX-CLEAN-ONE.1']);
      expect(checkTraceMatrix(t).ok).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a malformed vector file with its line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'trace-bad-'));
    try {
      await mkdir(path.join(dir, 'spec'));
      await mkdir(path.join(dir, 'vectors/x'), { recursive: true });
      await writeFile(path.join(dir, 'spec/index.md'), '# X\n');
      await writeFile(path.join(dir, 'vectors/x/bad.json'), '{\n  "cases": [\n    {"id": "a",}\n  ]\n}\n');
      const t = await buildTraceMatrix(dir);
      expect(t.problems.map((p) => [p.code, p.file, p.line])).toEqual([
        ['Trace.MALFORMED_VECTOR_FILE', 'vectors/x/bad.json', 3],
      ]);
      const r = checkTraceMatrix(t);
      expect(r.ok ? '' : r.error.code).toBe('Trace.MALFORMED_VECTOR_FILE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('formats a table with the symbols, counts and a summary line', () => {
    const text = formatTraceMatrix(m);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ID\s+\| model\s+\| impl\s+\| tests\s+\| vectors\s+\| TLA\+\s+\| conformance$/);
    const row = lines.find((l) => l.startsWith('FIX-ALPHA-ONE.1 '));
    expect(row?.split('|').map((c) => c.trim())).toEqual(['FIX-ALPHA-ONE.1', 'ruleOne', '1', '1', '1', 'TypeOK', '-']);
    const two = lines.find((l) => l.startsWith('FIX-ALPHA-TWO.1 '));
    expect(two?.split('|').map((c) => c.trim())).toEqual(['FIX-ALPHA-TWO.1', 'ruleTwo', '-', '1', '1', '-', '1']);
    expect(text).toContain(`src/model/alpha/rules.ts:${lineOf('src/model/alpha/rules.ts', 'FIX-MISSING-RULE.1')}  FIX-MISSING-RULE.1`);
    expect(text).toContain('Uncovered (defined, cited nowhere) [1]:');
    expect(lines.at(-1)).toBe('6 requirements in 3 chapters: 5 covered, 1 uncovered; 4 dangling, 1 duplicated: FAIL (5 problems)');
  });

  it('serialises to JSON that round-trips', () => {
    const value = traceMatrixToJson(m);
    const json = JSON.parse(JSON.stringify(value)) as { format: string; requirements: unknown[]; dangling: unknown[] };
    expect(json).toEqual(value);
    expect(json.format).toBe('pharos-trace/1');
    expect(json.requirements).toHaveLength(6);
    expect(json.dangling).toHaveLength(4);
  });
});

// @spec TRACE-MATRIX.1
describe('buildTraceMatrix on this repository', () => {
  it('reads this test file as citing only the matrix rule, none of its fixtures', async () => {
    const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
    const t = await buildTraceMatrix(repo);
    const mine = 'src/conformance/trace/index.test.ts';
    const all = [...t.requirements.flatMap((r) => Object.values(r.citations).flat()), ...t.dangling];
    expect(all.filter((c) => c.file === mine).map((c) => c.id)).toEqual(['TRACE-MATRIX.1']);
  });
});
