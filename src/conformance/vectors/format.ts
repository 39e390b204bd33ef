import { Schema } from 'effect';

/** The format tag every vector file carries. @spec VEC-FILE-HEADER.1 */
export const VECTOR_FORMAT = 'pharos-vectors/1';
export const INDEX_FORMAT = 'pharos-vectors-index/1';

/** Requirement IDs: area, dash-separated components, a dot and a version. @spec SPEC-REQ-ID.1 */
export const REQUIREMENT_ID = /^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\.[0-9]+$/;
/** Case ids are stable slugs so that skip files and reports can name them. @spec VEC-CASE-ID.1 */
export const CASE_ID = /^[a-z0-9][a-z0-9._-]*$/;
/** Error codes are dotted identifiers such as `Encoding.Hex.ODD_LENGTH`. @spec ENC-RESULT-CODES.1 */
export const ERROR_CODE = /^[A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9_]+)+$/;

const Pattern = (re: RegExp, what: string) =>
  Schema.String.pipe(Schema.pattern(re, { message: () => `expected ${what} matching ${re.source}` }));

export const Expected = Schema.Union(
  Schema.Struct({ result: Schema.Literal('valid'), output: Schema.Unknown }),
  Schema.Struct({ result: Schema.Literal('invalid'), error: Schema.NonEmptyArray(Pattern(ERROR_CODE, 'an error code')) }),
).annotations({ identifier: 'Expected' });

/** @spec VEC-CASE-FIELDS.1 */
export const VectorCase = Schema.Struct({
  id: Pattern(CASE_ID, 'a case id'),
  description: Schema.String,
  requirements: Schema.Array(Pattern(REQUIREMENT_ID, 'a requirement id')),
  input: Schema.Unknown,
  expected: Expected,
  hash: Pattern(/^0x[0-9a-f]{64}$/, 'a sha256 digest as 0x-hex'),
}).annotations({ identifier: 'VectorCase' });
export type VectorCase = typeof VectorCase.Type;

/** @spec VEC-FILE-HEADER.1 */
export const VectorFile = Schema.Struct({
  $schema: Schema.String,
  format: Schema.Literal(VECTOR_FORMAT),
  kind: Pattern(/^[a-z]+\/[a-z0-9-]+$/, 'a kind such as "encoding/digest"'),
  suite: Pattern(/^[a-z0-9][a-z0-9-]*$/, 'a suite name'),
  specVersion: Schema.String,
  generator: Schema.Struct({ name: Schema.String, seed: Schema.Number }),
  description: Schema.String,
  cases: Schema.Array(Schema.Unknown),
}).annotations({ identifier: 'VectorFile' });
export type VectorFile = Omit<typeof VectorFile.Type, 'cases'> & { readonly cases: readonly VectorCase[] };

/** Where a suite lives: `vectors/<kind>/<suite>.json`. @spec VEC-FILE-LAYOUT.1 */
export const suitePath = (kind: string, suite: string): string => `${kind}/${suite}.json`;

/** The kind's JSON Schema file, relative to the vectors directory. */
export const kindSchemaPath = (kind: string): string => `schema/${kind.replace('/', '.')}.schema.json`;
