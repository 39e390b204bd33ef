/**
 * `spec/tla/expected.json`: what every model-checking config must produce. One entry per cfg file,
 * keyed by its file name; keys starting with `$` are comments.
 *
 * ```json
 * {
 *   "MC_Foo_small.cfg": { "spec": "Foo.tla", "verdict": "pass", "distinctStates": 1234 },
 *   "MC_Foo_broken.cfg": { "spec": "Foo.tla", "verdict": "violation", "invariant": "Safety" }
 * }
 * ```
 *
 * A passing config records its distinct-state count, the number TLC prints as "distinct states
 * found": a changed count means the model changed, even if it still passes. A violating config
 * records the invariant that must fail first; its count is not recorded, because where a checker
 * stops depends on the order it explores a level in.
 *
 * @module
 */
import { type Result, ok, fail } from '../../model/encoding/result.js';

export type TlaExpectation =
  | { readonly spec: string; readonly verdict: 'pass'; readonly distinctStates: number; readonly note?: string }
  | { readonly spec: string; readonly verdict: 'violation'; readonly invariant: string; readonly note?: string }
  | { readonly spec: string; readonly verdict: 'deadlock'; readonly note?: string };

export type TlaExpectations = ReadonlyMap<string, TlaExpectation>;

const isRecord = (x: unknown): x is Readonly<Record<string, unknown>> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

const ALLOWED: Readonly<Record<TlaExpectation['verdict'], readonly string[]>> = {
  pass: ['spec', 'verdict', 'distinctStates', 'note'],
  violation: ['spec', 'verdict', 'invariant', 'note'],
  deadlock: ['spec', 'verdict', 'note'],
};

const parseEntry = (key: string, raw: unknown): Result<TlaExpectation> => {
  const bad = (why: string): Result<TlaExpectation> => fail('Tla.Expected.BAD_ENTRY', `expected.json entry ${JSON.stringify(key)}: ${why}`);
  if (!key.endsWith('.cfg')) return bad('keys must be cfg file names ending in .cfg');
  if (!isRecord(raw)) return bad('must be an object');
  const { spec, verdict, note } = raw;
  if (typeof spec !== 'string' || !spec.endsWith('.tla')) return bad('"spec" must name a .tla file');
  if (verdict !== 'pass' && verdict !== 'violation' && verdict !== 'deadlock') {
    return bad('"verdict" must be "pass", "violation" or "deadlock"');
  }
  const extra = Object.keys(raw).filter((k) => !ALLOWED[verdict].includes(k));
  if (extra.length > 0) return bad(`unexpected field(s) for verdict ${verdict}: ${extra.join(', ')}`);
  if (note !== undefined && typeof note !== 'string') return bad('"note" must be a string');
  const withNote = note !== undefined ? { note } : {};
  if (verdict === 'pass') {
    const n = raw['distinctStates'];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
      return bad('a passing config needs "distinctStates", a positive integer');
    }
    return ok({ spec, verdict, distinctStates: n, ...withNote });
  }
  if (verdict === 'violation') {
    const inv = raw['invariant'];
    if (typeof inv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(inv)) {
      return bad('a violating config needs "invariant", the name of the invariant that must fail');
    }
    return ok({ spec, verdict, invariant: inv, ...withNote });
  }
  return ok({ spec, verdict, ...withNote });
};

/** Parses the text of expected.json. */
export const parseExpectations = (text: string): Result<TlaExpectations> => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail('Tla.Expected.INVALID_JSON', `expected.json is not JSON: ${(e as Error).message}`);
  }
  if (!isRecord(json)) return fail('Tla.Expected.BAD_ENTRY', 'expected.json must be an object keyed by cfg file name');
  const out = new Map<string, TlaExpectation>();
  for (const [key, raw] of Object.entries(json)) {
    if (key.startsWith('$')) continue;
    const entry = parseEntry(key, raw);
    if (!entry.ok) return entry;
    out.set(key, entry.value);
  }
  return ok(out);
};
