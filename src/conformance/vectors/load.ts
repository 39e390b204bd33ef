import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Either, ParseResult, Schema } from 'effect';
import { parseJson } from '../../model/encoding/json.js';
import { caseHash } from '../../model/encoding/case-hash.js';
import type { KindDefinition } from '../kinds/kind.js';
import { VectorCase, VectorFile, suitePath } from './format.js';

/** One problem in an untrusted vector file: where (file, case, JSON pointer) and what. */
export interface VectorProblem {
  readonly file: string;
  readonly caseId?: string;
  readonly pointer: string;
  readonly code: string;
  readonly message: string;
}

export interface LoadedSuite {
  readonly file: string;
  readonly header: VectorFile;
  /** Undefined when the file names a kind this build does not know. */
  readonly kind: KindDefinition | undefined;
  readonly cases: readonly VectorCase[];
}

export interface LoadResult {
  readonly suites: readonly LoadedSuite[];
  readonly problems: readonly VectorProblem[];
}

export const formatProblem = (p: VectorProblem): string =>
  `${p.file}${p.caseId !== undefined ? ` case ${p.caseId}` : ''} at ${p.pointer === '' ? '/' : p.pointer}: ${p.code}: ${p.message}`;

const pointerOf = (path: readonly PropertyKey[]): string =>
  path.map((k) => `/${String(k).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

/** Effect parse errors flattened to one problem per leaf, with JSON pointers. */
const schemaProblems = (error: ParseResult.ParseError, base: string, code: string, file: string, caseId?: string): VectorProblem[] =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
    file, ...(caseId !== undefined ? { caseId } : {}), pointer: base + pointerOf(issue.path), code, message: issue.message,
  }));

/**
 * Validates one vector file's text: strict JSON, the header, every case's fields, unique ids,
 * the case hash, and the input, output and error codes against the kind. Every problem is
 * reported, not only the first. @spec VEC-LOADER-CHECKS.1
 */
export const loadVectorText = (file: string, text: string, kinds: readonly KindDefinition[], expectedPath?: string): { suite?: LoadedSuite; problems: VectorProblem[] } => {
  const parsed = parseJson(text);
  if (!parsed.ok) return { problems: [{ file, pointer: '', code: 'Vectors.File.JSON', message: `${parsed.error.code}: ${parsed.error.message}` }] };
  const header = Schema.decodeUnknownEither(VectorFile, { errors: 'all' })(parsed.value);
  if (Either.isLeft(header)) return { problems: schemaProblems(header.left, '', 'Vectors.File.SCHEMA', file) };
  const problems: VectorProblem[] = [];
  const kind = kinds.find((k) => k.kind === header.right.kind);
  if (kind === undefined) {
    problems.push({ file, pointer: '/kind', code: 'Vectors.File.UNKNOWN_KIND', message: `kind ${JSON.stringify(header.right.kind)} is not defined by this specification version` });
  }
  if (expectedPath !== undefined && expectedPath !== suitePath(header.right.kind, header.right.suite)) {
    problems.push({ file, pointer: '/suite', code: 'Vectors.File.PATH_MISMATCH', message: `a suite of kind ${header.right.kind} named ${header.right.suite} belongs at ${suitePath(header.right.kind, header.right.suite)}` });
  }
  const cases: VectorCase[] = [];
  const seen = new Set<string>();
  header.right.cases.forEach((raw, i) => {
    const base = `/cases/${i}`;
    const rawId = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
    const decoded = Schema.decodeUnknownEither(VectorCase, { errors: 'all' })(raw);
    if (Either.isLeft(decoded)) {
      problems.push(...schemaProblems(decoded.left, base, 'Vectors.Case.SCHEMA', file, rawId));
      return;
    }
    const c = decoded.right;
    const at = (pointer: string, code: string, message: string): void => void problems.push({ file, caseId: c.id, pointer: base + pointer, code, message });
    const before = problems.length;
    if (seen.has(c.id)) at('/id', 'Vectors.Case.DUPLICATE_ID', `case id ${c.id} appears more than once in the file`);
    seen.add(c.id);
    const hash = caseHash(raw);
    if (!hash.ok) at('', 'Vectors.Case.UNSAFE_NUMBER', hash.error.message);
    else if (hash.value !== c.hash) at('/hash', 'Vectors.Case.HASH_MISMATCH', `recorded hash ${c.hash} but the case hashes to ${hash.value}`);
    if (kind !== undefined) {
      const input = Schema.decodeUnknownEither(kind.input, { errors: 'all' })(c.input);
      if (Either.isLeft(input)) problems.push(...schemaProblems(input.left, `${base}/input`, 'Vectors.Case.INPUT', file, c.id));
      if (c.expected.result === 'valid') {
        const output = Schema.decodeUnknownEither(kind.output, { errors: 'all' })(c.expected.output);
        if (Either.isLeft(output)) problems.push(...schemaProblems(output.left, `${base}/expected/output`, 'Vectors.Case.OUTPUT', file, c.id));
      } else {
        c.expected.error.forEach((code, j) => {
          if (!kind.errorCodes.includes(code)) at(`/expected/error/${j}`, 'Vectors.Case.UNKNOWN_ERROR_CODE', `${code} is not an error code of kind ${kind.kind}`);
        });
      }
    }
    if (problems.length === before) cases.push(c);
  });
  return { suite: { file, header: { ...header.right, cases }, kind, cases }, problems };
};

const listJsonFiles = async (dir: string): Promise<string[]> => {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
};

/** Loads every suite under a vectors directory (schema/ and index.json are not suites). */
export const loadVectorDir = async (dir: string, kinds: readonly KindDefinition[]): Promise<LoadResult> => {
  const suites: LoadedSuite[] = [];
  const problems: VectorProblem[] = [];
  for (const path of await listJsonFiles(dir)) {
    const rel = relative(dir, path).split(sep).join('/');
    if (rel.startsWith('schema/') || rel === 'index.json') continue;
    const r = loadVectorText(rel, await readFile(path, 'utf8'), kinds, rel);
    if (r.suite) suites.push(r.suite);
    problems.push(...r.problems);
  }
  return { suites, problems };
};

/** Loads explicitly named files or directories (the CLI's `--vectors` arguments). */
export const loadVectorPaths = async (paths: readonly string[], kinds: readonly KindDefinition[]): Promise<LoadResult> => {
  const suites: LoadedSuite[] = [];
  const problems: VectorProblem[] = [];
  for (const p of paths) {
    let r: LoadResult;
    try {
      r = p.endsWith('.json')
        ? await readFile(p, 'utf8').then((text) => { const one = loadVectorText(p, text, kinds); return { suites: one.suite ? [one.suite] : [], problems: one.problems }; })
        : await loadVectorDir(p, kinds);
    } catch (e) {
      r = { suites: [], problems: [{ file: p, pointer: '', code: 'Vectors.File.UNREADABLE', message: (e as Error).message }] };
    }
    suites.push(...r.suites);
    problems.push(...r.problems);
  }
  return { suites, problems };
};
