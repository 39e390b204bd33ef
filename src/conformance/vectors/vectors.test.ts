import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, readFile, readdir, writeFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { allKinds } from '../kinds/index.js';
import { generateVectorTree } from './generate.js';
import { checkVectorTree } from './check.js';
import { loadVectorDir, loadVectorText, formatProblem } from './load.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const vectorsDir = join(root, 'vectors');

const writeTree = async (tree: ReadonlyMap<string, string>): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'pharos-vectors-'));
  for (const [path, content] of tree) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
};

describe('vector generation (VEC-REPRODUCIBLE.1, VEC-EXPECTED-FROM-MODEL.1)', () => {
  it('regenerating into a temporary directory reproduces the committed vectors byte for byte', async () => {
    const tree = generateVectorTree(allKinds);
    const tmp = await writeTree(tree);
    for (const [path] of tree) {
      expect(await readFile(join(tmp, path), 'utf8'), path).toBe(await readFile(join(vectorsDir, path), 'utf8'));
    }
    expect(await checkVectorTree(vectorsDir, tree)).toEqual([]);
    await rm(tmp, { recursive: true });
  });

  it('the check notices a changed, a missing and a stray file', async () => {
    const tree = generateVectorTree(allKinds);
    const tmp = await writeTree(tree);
    await writeFile(join(tmp, 'encoding/digest/known.json'), (await readFile(join(tmp, 'encoding/digest/known.json'), 'utf8')).replace('"sha256-abc"', '"sha256-abd"'));
    await rm(join(tmp, 'index.json'));
    await writeFile(join(tmp, 'encoding/digest/old.json'), '{}');
    const diffs = await checkVectorTree(tmp, tree);
    expect(diffs.join('\n')).toMatch(/known\.json: differs[^\n]*line \d+/);
    expect(diffs.join('\n')).toContain('index.json: missing');
    expect(diffs.join('\n')).toContain('old.json: not produced by generation');
    await rm(tmp, { recursive: true });
  });

  it('every committed file validates against its JSON Schema with an independent validator', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const files = (await readdir(vectorsDir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.endsWith('.json') && !e.parentPath.endsWith('schema'))
      .map((e) => join(e.parentPath, e.name));
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const data = JSON.parse(await readFile(file, 'utf8')) as { $schema?: string };
      const schemaPath = data.$schema ? join(dirname(file), data.$schema) : join(vectorsDir, 'schema/index.schema.json');
      const validate = ajv.compile(JSON.parse(await readFile(schemaPath, 'utf8')) as object);
      expect(validate(data), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
      ajv.removeSchema();
    }
  });
});

describe('vector loader (VEC-LOADER-CHECKS.1)', () => {
  const good = async (): Promise<Record<string, unknown> & { cases: Record<string, unknown>[] }> =>
    JSON.parse(await readFile(join(vectorsDir, 'encoding/digest/known.json'), 'utf8')) as Record<string, unknown> & { cases: Record<string, unknown>[] };

  it('loads every committed file without problems', async () => {
    const r = await loadVectorDir(vectorsDir, allKinds);
    expect(r.problems.map(formatProblem)).toEqual([]);
    expect(r.suites.length).toBe(allKinds.reduce((n, k) => n + k.suites.length, 0));
  });

  it('names file, case and JSON pointer for each problem', async () => {
    const file = await good();
    const c0 = file.cases[0]!;
    file.cases[0] = { ...c0, input: { algorithm: 'sha256', data: 7 } };
    file.cases[1] = { ...file.cases[1], hash: `0x${'0'.repeat(64)}` };
    file.cases[2] = { ...file.cases[2], id: c0['id'] };
    file.cases[3] = { ...file.cases[3], expected: { result: 'invalid', error: ['Encoding.Nope.NOT_A_CODE'] } };
    file.cases[4] = { ...file.cases[4], requirements: ['lowercase'] };
    const r = loadVectorText('f.json', JSON.stringify(file), allKinds);
    const got = r.problems.map((p) => `${p.caseId ?? ''} ${p.pointer} ${p.code}`);
    expect(got).toEqual(expect.arrayContaining([
      `${c0['id'] as string} /cases/0/input/data Vectors.Case.INPUT`,
      `${c0['id'] as string} /cases/0/hash Vectors.Case.HASH_MISMATCH`,
      `${file.cases[1]!['id'] as string} /cases/1/hash Vectors.Case.HASH_MISMATCH`,
      `${c0['id'] as string} /cases/2/id Vectors.Case.DUPLICATE_ID`,
      `${file.cases[3]!['id'] as string} /cases/3/expected/error/0 Vectors.Case.UNKNOWN_ERROR_CODE`,
      `${file.cases[4]!['id'] as string} /cases/4/requirements/0 Vectors.Case.SCHEMA`,
    ]));
    expect(r.problems.every((p) => p.file === 'f.json')).toBe(true);
    expect(r.suite!.cases.length).toBe(file.cases.length - 5);
  });

  it('rejects malformed files with file-level codes', async () => {
    const code = (text: string) => loadVectorText('f.json', text, allKinds).problems.map((p) => `${p.pointer} ${p.code}`);
    expect(code('{"a":1,"a":2}')).toEqual([' Vectors.File.JSON']);
    expect(code('[]')[0]).toContain('Vectors.File.SCHEMA');
    const file = await good();
    expect(code(JSON.stringify({ ...file, format: 'pharos-vectors/2' }))).toEqual(['/format Vectors.File.SCHEMA']);
    expect(code(JSON.stringify({ ...file, kind: 'encoding/nothing' }))).toContain('/kind Vectors.File.UNKNOWN_KIND');
    expect(loadVectorText('a/b.json', JSON.stringify(file), allKinds, 'a/b.json').problems.map((p) => p.code)).toContain('Vectors.File.PATH_MISMATCH');
    const withFloat = JSON.stringify({ ...file, cases: [{ ...file.cases[0], input: { algorithm: 'sha256', data: '0x', x: 0.5 } }] });
    expect(code(withFloat)).toContain('/cases/0 Vectors.Case.UNSAFE_NUMBER');
  });

  it('never throws on corrupted files (fuzz)', async () => {
    const text = await readFile(join(vectorsDir, 'encoding/digest/known.json'), 'utf8');
    fc.assert(fc.property(fc.nat(), fc.nat({ max: 40 }), fc.string({ unit: 'binary', maxLength: 8 }), (at, cut, ins) => {
      const i = at % text.length;
      const r = loadVectorText('f.json', text.slice(0, i) + ins + text.slice(i + cut), allKinds);
      return Array.isArray(r.problems);
    }), { numRuns: 300 });
    const file = await good();
    fc.assert(fc.property(fc.jsonValue(), fc.constantFrom('input', 'expected', 'id', 'requirements', 'description', 'hash'), (junk, key) => {
      const r = loadVectorText('f.json', JSON.stringify({ ...file, cases: [{ ...file.cases[0], [key]: junk }] }), allKinds);
      return Array.isArray(r.problems);
    }), { numRuns: 300 });
  });
});
