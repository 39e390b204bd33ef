import { JSONSchema, Schema } from 'effect';
import { caseHash } from '../../model/encoding/case-hash.js';
import { sha256, utf8 } from '../../model/encoding/hash.js';
import { bytesToHex } from '../../model/encoding/hex.js';
import type { KindDefinition } from '../kinds/kind.js';
import { INDEX_FORMAT, VECTOR_FORMAT, kindSchemaPath, suitePath, type VectorCase, type VectorFile } from './format.js';
import { vectorsReadme } from './readme.js';
import { SPEC_VERSION } from '../version.js';

export const GENERATOR_NAME = 'pharos-spec model';

/** Renders JSON the way every committed vector file is written: two-space indent, final newline. */
export const renderJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Fills in `expected` from the model and `hash` from the case hash rule. @spec VEC-EXPECTED-FROM-MODEL.1 VEC-CASE-HASH.1 */
export const buildCase = (kind: KindDefinition, draft: { id: string; description: string; requirements: readonly string[]; input: unknown }): VectorCase => {
  const input = Schema.decodeUnknownSync(kind.input)(draft.input);
  const answer = kind.model(input);
  const expected = answer.ok
    ? { result: 'valid' as const, output: Schema.encodeSync(kind.output)(answer.value) }
    : { result: 'invalid' as const, error: [answer.error.code] as [string] };
  const unhashed = { id: draft.id, description: draft.description, requirements: [...draft.requirements], input: draft.input, expected };
  const hash = caseHash(unhashed);
  if (!hash.ok) throw new Error(`generator for ${kind.kind} produced case ${draft.id} that cannot be hashed: ${hash.error.message}`);
  return { ...unhashed, hash: hash.value };
};

export const buildSuite = (kind: KindDefinition, suite: KindDefinition['suites'][number]): VectorFile => {
  const cases = suite.cases(suite.seed).map((d) => buildCase(kind, d));
  const ids = new Set<string>();
  for (const c of cases) {
    if (ids.has(c.id)) throw new Error(`generator for ${kind.kind}/${suite.suite} produced case id ${c.id} twice`);
    ids.add(c.id);
  }
  return {
    $schema: `../../${kindSchemaPath(kind.kind)}`,
    format: VECTOR_FORMAT,
    kind: kind.kind,
    suite: suite.suite,
    specVersion: SPEC_VERSION,
    generator: { name: GENERATOR_NAME, seed: suite.seed },
    description: suite.description,
    cases,
  };
};

const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/**
 * Effect emits draft-07 documents. Rewritten to 2020-12: per-schema `$schema`/`$id` dropped, and
 * tuples (`items` as an array, `additionalItems`) become `prefixItems` and `items`.
 */
const jsonSchemaOf = (schema: Schema.Schema<unknown, unknown>, defs: Record<string, unknown>): unknown => {
  const { $schema: _dialect, $defs, ...rest } = JSONSchema.make(schema) as unknown as Record<string, unknown>;
  for (const [name, def] of Object.entries($defs ?? {})) defs[name] = toDraft2020(def);
  return toDraft2020(rest);
};

const toDraft2020 = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(toDraft2020);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  const node = v as Record<string, unknown>;
  for (const [k, x] of Object.entries(node)) {
    if (k === '$id') continue;
    if (k === 'items' && Array.isArray(x)) out['prefixItems'] = toDraft2020(x);
    else if (k === 'additionalItems') out['items'] = toDraft2020(x);
    else out[k] = toDraft2020(x);
  }
  return out;
};

const caseIdPattern = '^[a-z0-9][a-z0-9._-]*$';
const requirementPattern = '^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\\.[0-9]+$';
const errorCodePattern = '^[A-Z][A-Za-z0-9]*(?:\\.[A-Za-z0-9_]+)+$';

/** The file schema; `input`, `output` and `error` are narrowed per kind. @spec VEC-FILE-HEADER.1 VEC-CASE-FIELDS.1 */
export const vectorFileSchema = (kind?: { name: string; input: unknown; output: unknown; errorCodes: readonly string[]; defs: Record<string, unknown> }): unknown => ({
  $schema: JSON_SCHEMA_DIALECT,
  title: kind ? `pharos-vectors/1 file of kind ${kind.name}` : 'pharos-vectors/1 file',
  type: 'object',
  required: ['$schema', 'format', 'kind', 'suite', 'specVersion', 'generator', 'description', 'cases'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    format: { const: VECTOR_FORMAT },
    kind: kind ? { const: kind.name } : { type: 'string', pattern: '^[a-z]+/[a-z0-9-]+$' },
    suite: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
    specVersion: { type: 'string' },
    generator: { type: 'object', required: ['name', 'seed'], additionalProperties: false, properties: { name: { type: 'string' }, seed: { type: 'integer' } } },
    description: { type: 'string' },
    cases: { type: 'array', items: { $ref: '#/$defs/case' } },
  },
  $defs: {
    ...(kind?.defs ?? {}),
    case: {
      type: 'object',
      required: ['id', 'description', 'requirements', 'input', 'expected', 'hash'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', pattern: caseIdPattern },
        description: { type: 'string' },
        requirements: { type: 'array', items: { type: 'string', pattern: requirementPattern } },
        input: kind ? kind.input : {},
        expected: {
          oneOf: [
            { type: 'object', required: ['result', 'output'], additionalProperties: false, properties: { result: { const: 'valid' }, output: kind ? kind.output : {} } },
            {
              type: 'object', required: ['result', 'error'], additionalProperties: false,
              properties: {
                result: { const: 'invalid' },
                error: { type: 'array', minItems: 1, items: kind ? { enum: [...kind.errorCodes] } : { type: 'string', pattern: errorCodePattern } },
              },
            },
          ],
        },
        hash: { type: 'string', pattern: '^0x[0-9a-f]{64}$' },
      },
    },
  },
});

export const indexSchema = (): unknown => ({
  $schema: JSON_SCHEMA_DIALECT,
  title: 'pharos-vectors index',
  type: 'object',
  required: ['format', 'specVersion', 'files'],
  additionalProperties: false,
  properties: {
    format: { const: INDEX_FORMAT },
    specVersion: { type: 'string' },
    files: {
      type: 'array',
      items: {
        type: 'object', required: ['path', 'kind', 'suite', 'sha256', 'cases'], additionalProperties: false,
        properties: {
          path: { type: 'string' }, kind: { type: 'string' }, suite: { type: 'string' }, sha256: { type: 'string', pattern: '^0x[0-9a-f]{64}$' },
          cases: { type: 'array', items: { type: 'object', required: ['id', 'hash'], additionalProperties: false, properties: { id: { type: 'string', pattern: caseIdPattern }, hash: { type: 'string', pattern: '^0x[0-9a-f]{64}$' } } } },
        },
      },
    },
  },
});

/**
 * Every file under vectors/ as the model generates it, keyed by path relative to vectors/.
 * Generation is a pure function of the kinds, so regenerating must reproduce the committed tree
 * byte for byte. @spec VEC-REPRODUCIBLE.1
 */
export const generateVectorTree = (kinds: readonly KindDefinition[]): ReadonlyMap<string, string> => {
  const files = new Map<string, string>();
  const index: { path: string; kind: string; suite: string; sha256: string; cases: { id: string; hash: string }[] }[] = [];
  files.set('schema/vector-file.schema.json', renderJson(vectorFileSchema()));
  files.set('schema/index.schema.json', renderJson(indexSchema()));
  for (const kind of kinds) {
    const defs: Record<string, unknown> = {};
    const input = jsonSchemaOf(kind.input, defs);
    const output = jsonSchemaOf(kind.output, defs);
    files.set(kindSchemaPath(kind.kind), renderJson(vectorFileSchema({ name: kind.kind, input, output, errorCodes: kind.errorCodes, defs })));
    for (const suite of kind.suites) {
      const path = suitePath(kind.kind, suite.suite);
      const text = renderJson(buildSuite(kind, suite));
      files.set(path, text);
      const file = JSON.parse(text) as VectorFile;
      index.push({ path, kind: kind.kind, suite: suite.suite, sha256: bytesToHex(sha256(utf8(text))), cases: file.cases.map((c) => ({ id: c.id, hash: c.hash })) });
    }
  }
  files.set('index.json', renderJson({ format: INDEX_FORMAT, specVersion: SPEC_VERSION, files: index }));
  files.set('README.md', vectorsReadme(kinds, index));
  return files;
};
