/**
 * Reading TLC model configuration files (`MC_*.cfg`) and TLA+ module text, just enough to pair a
 * config with its module and to refuse configs that could pass vacuously. tla-checker drops a
 * definition it cannot parse without a word, so every name a config relies on is looked up in the
 * module text before any checker runs.
 *
 * @module
 */
import { type Result, ok, fail } from '../../model/encoding/result.js';

/** A constant value as written in a cfg: integers, strings, model values and finite sets of them. */
export type CfgValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'model'; readonly name: string }
  | { readonly kind: 'set'; readonly elements: readonly CfgValue[] }
  | { readonly kind: 'substitution'; readonly definition: string };

/** Typed readers of a cfg's constants; each answers undefined when the constant is absent or of another kind. */
export const cfgReaders = (constants: ReadonlyMap<string, CfgValue>): {
  readonly int: (name: string) => number | undefined;
  readonly ints: (name: string) => readonly number[] | undefined;
  readonly bool: (name: string) => boolean | undefined;
} => ({
  int: (name) => {
    const v = constants.get(name);
    return v?.kind === 'int' ? v.value : undefined;
  },
  ints: (name) => {
    const v = constants.get(name);
    if (v?.kind !== 'set' || v.elements.some((e) => e.kind !== 'int')) return undefined;
    return v.elements.map((e) => (e.kind === 'int' ? e.value : 0));
  },
  bool: (name) => {
    const v = constants.get(name);
    return v?.kind === 'model' && (v.name === 'TRUE' || v.name === 'FALSE') ? v.name === 'TRUE' : undefined;
  },
});

export interface TlcConfig {
  /** `\* spec: Name.tla`, when the cfg names its module explicitly. */
  readonly specPragma?: string;
  readonly constants: ReadonlyMap<string, CfgValue>;
  readonly init?: string;
  readonly next?: string;
  readonly specification?: string;
  readonly invariants: readonly string[];
  readonly properties: readonly string[];
  readonly constraints: readonly string[];
  readonly symmetry?: string;
  /** `CHECK_DEADLOCK FALSE` turns deadlock checking off; it is on by default, as in TLC. */
  readonly checkDeadlock: boolean;
}

const KEYWORDS = new Map<string, string>([
  ['CONSTANT', 'CONSTANTS'],
  ['CONSTANTS', 'CONSTANTS'],
  ['INIT', 'INIT'],
  ['NEXT', 'NEXT'],
  ['SPECIFICATION', 'SPECIFICATION'],
  ['INVARIANT', 'INVARIANTS'],
  ['INVARIANTS', 'INVARIANTS'],
  ['PROPERTY', 'PROPERTIES'],
  ['PROPERTIES', 'PROPERTIES'],
  ['CONSTRAINT', 'CONSTRAINTS'],
  ['CONSTRAINTS', 'CONSTRAINTS'],
  ['ACTION_CONSTRAINT', 'ACTION_CONSTRAINTS'],
  ['ACTION_CONSTRAINTS', 'ACTION_CONSTRAINTS'],
  ['SYMMETRY', 'SYMMETRY'],
  ['VIEW', 'VIEW'],
  ['ALIAS', 'ALIAS'],
  ['POSTCONDITION', 'POSTCONDITION'],
  ['CHECK_DEADLOCK', 'CHECK_DEADLOCK'],
]);

/**
 * Removes `\*` line comments and nested `(* ... *)` block comments, keeping line breaks so that
 * line numbers in messages still match the file. String literals are left alone.
 */
export const stripTlaComments = (text: string): string => {
  let out = '';
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    if (depth === 0 && text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      const stop = end < 0 ? text.length : end + 1;
      out += text.slice(i, stop);
      i = stop;
    } else if (two === '(*') {
      depth++;
      i += 2;
    } else if (depth > 0 && two === '*)') {
      depth--;
      i += 2;
    } else if (depth === 0 && two === '\\*') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else {
      if (depth === 0 || text[i] === '\n') out += text[i];
      i++;
    }
  }
  return out;
};

const SPEC_PRAGMA = /^[ \t]*\\\*[ \t]*spec:[ \t]*(\S+)[ \t]*$/m;

interface Token {
  readonly text: string;
  readonly line: number;
}

const tokenize = (text: string): Result<readonly Token[]> => {
  const tokens: Token[] = [];
  const re = /\s+|"(?:[^"\\]|\\.)*"|<-|[A-Za-z_][A-Za-z0-9_]*|-?[0-9]+|[{},=]/y;
  let line = 1;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (m === null) {
      return fail('Tla.Config.PARSE', `line ${line}: unexpected character ${JSON.stringify(text[i])}`);
    }
    const t = m[0];
    if (!/^\s/.test(t)) tokens.push({ text: t, line });
    line += t.split('\n').length - 1;
    i += t.length;
  }
  return ok(tokens);
};

const isIdent = (t: string | undefined): t is string => t !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(t);

/** Parses one constant value starting at tokens[i]; returns the value and the next index. */
const parseValue = (tokens: readonly Token[], i: number): Result<readonly [CfgValue, number]> => {
  const tok = tokens[i];
  if (tok === undefined) return fail('Tla.Config.PARSE', 'a constant value is missing at the end of the file');
  const t = tok.text;
  if (/^-?[0-9]+$/.test(t)) return ok([{ kind: 'int', value: Number(t) }, i + 1]);
  if (t.startsWith('"')) return ok([{ kind: 'string', value: t.slice(1, -1) }, i + 1]);
  if (isIdent(t) && !KEYWORDS.has(t)) return ok([{ kind: 'model', name: t }, i + 1]);
  if (t === '{') {
    const elements: CfgValue[] = [];
    let j = i + 1;
    if (tokens[j]?.text === '}') return ok([{ kind: 'set', elements }, j + 1]);
    for (;;) {
      const r = parseValue(tokens, j);
      if (!r.ok) return r;
      elements.push(r.value[0]);
      j = r.value[1];
      const sep = tokens[j]?.text;
      if (sep === '}') return ok([{ kind: 'set', elements }, j + 1]);
      if (sep !== ',') return fail('Tla.Config.PARSE', `line ${tokens[j]?.line ?? tok.line}: expected "," or "}" in a set`);
      j++;
    }
  }
  return fail('Tla.Config.PARSE', `line ${tok.line}: ${JSON.stringify(t)} is not a constant value`);
};

/**
 * Parses a TLC model configuration. Unknown or unsupported sections are kept out of the result
 * but not rejected, so a config TLC accepts is accepted here; what the checkers support is their
 * business and they report it.
 */
export const parseTlcConfig = (text: string): Result<TlcConfig> => {
  const pragma = SPEC_PRAGMA.exec(text)?.[1];
  const tokenized = tokenize(stripTlaComments(text));
  if (!tokenized.ok) return tokenized;
  const tokens = tokenized.value;
  const constants = new Map<string, CfgValue>();
  const lists: Record<'INVARIANTS' | 'PROPERTIES' | 'CONSTRAINTS', string[]> = {
    INVARIANTS: [],
    PROPERTIES: [],
    CONSTRAINTS: [],
  };
  const singles = new Map<string, string>();
  let checkDeadlock = true;
  let section: string | undefined;
  let i = 0;
  while (i < tokens.length) {
    const tok = tokens[i]!;
    const keyword = KEYWORDS.get(tok.text);
    if (keyword !== undefined) {
      section = keyword;
      i++;
      continue;
    }
    if (section === undefined) {
      return fail('Tla.Config.PARSE', `line ${tok.line}: ${JSON.stringify(tok.text)} appears before any section keyword`);
    }
    if (section === 'CONSTANTS') {
      const op = tokens[i + 1]?.text;
      if (!isIdent(tok.text) || (op !== '=' && op !== '<-')) {
        return fail('Tla.Config.PARSE', `line ${tok.line}: expected "Name = value" or "Name <- Definition" in CONSTANTS`);
      }
      if (op === '<-') {
        const def = tokens[i + 2]?.text;
        if (!isIdent(def)) return fail('Tla.Config.PARSE', `line ${tok.line}: "<-" must be followed by a definition name`);
        constants.set(tok.text, { kind: 'substitution', definition: def });
        i += 3;
        continue;
      }
      const r = parseValue(tokens, i + 2);
      if (!r.ok) return r;
      constants.set(tok.text, r.value[0]);
      i = r.value[1];
      continue;
    }
    if (section === 'CHECK_DEADLOCK') {
      if (tok.text !== 'TRUE' && tok.text !== 'FALSE') {
        return fail('Tla.Config.PARSE', `line ${tok.line}: CHECK_DEADLOCK must be TRUE or FALSE`);
      }
      checkDeadlock = tok.text === 'TRUE';
      i++;
      continue;
    }
    if (!isIdent(tok.text)) {
      return fail('Tla.Config.PARSE', `line ${tok.line}: expected a definition name under ${section}, got ${JSON.stringify(tok.text)}`);
    }
    if (section === 'INVARIANTS' || section === 'PROPERTIES' || section === 'CONSTRAINTS') {
      lists[section].push(tok.text);
    } else {
      singles.set(section, tok.text);
    }
    i++;
  }
  const init = singles.get('INIT');
  const next = singles.get('NEXT');
  const specification = singles.get('SPECIFICATION');
  const symmetry = singles.get('SYMMETRY');
  return ok({
    ...(pragma !== undefined ? { specPragma: pragma } : {}),
    constants,
    ...(init !== undefined ? { init } : {}),
    ...(next !== undefined ? { next } : {}),
    ...(specification !== undefined ? { specification } : {}),
    invariants: lists.INVARIANTS,
    properties: lists.PROPERTIES,
    constraints: lists.CONSTRAINTS,
    ...(symmetry !== undefined ? { symmetry } : {}),
    checkDeadlock,
  });
};

/** An integer constant of a cfg, or a failure naming the constant. */
export const cfgInt = (config: TlcConfig, name: string): Result<number> => {
  const v = config.constants.get(name);
  if (v?.kind !== 'int') return fail('Tla.Config.CONSTANT_TYPE', `constant ${name} is not set to an integer`);
  return ok(v.value);
};

/** A constant set of integers of a cfg (such as `Byzantine = {3, 4}`), ascending. */
export const cfgIntSet = (config: TlcConfig, name: string): Result<readonly number[]> => {
  const v = config.constants.get(name);
  if (v?.kind !== 'set') return fail('Tla.Config.CONSTANT_TYPE', `constant ${name} is not set to a set`);
  const out: number[] = [];
  for (const e of v.elements) {
    if (e.kind !== 'int') return fail('Tla.Config.CONSTANT_TYPE', `constant ${name} has a non-integer element`);
    out.push(e.value);
  }
  return ok(out.sort((a, b) => a - b));
};

/** The module name from the `---- MODULE Name ----` header, if there is one. */
export const tlaModuleName = (tlaText: string): string | undefined =>
  /^-{4,}\s*MODULE\s+([A-Za-z0-9_]+)\s*-{4,}/m.exec(stripTlaComments(tlaText))?.[1];

/**
 * The operators a module defines at the start of a line, with their parameter counts (`Inv == ...`
 * has 0, `Relay(p, v) == ...` has 2). A definition indented under another one is still found; that
 * over-approximates (a LET-bound name counts), which is the safe direction for a check that only
 * wants to catch names that are not there at all.
 */
export const tlaDefinitions = (tlaText: string): ReadonlyMap<string, number> => {
  const defs = new Map<string, number>();
  const re = /^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*(\(([^)]*)\))?[ \t]*==/gm;
  for (const m of stripTlaComments(tlaText).matchAll(re)) {
    const params = m[3] === undefined ? 0 : m[3].split(',').length;
    if (!defs.has(m[1]!)) defs.set(m[1]!, params);
  }
  return defs;
};

/**
 * Every name the cfg relies on (INIT, NEXT, SPECIFICATION, INVARIANTS, PROPERTIES, CONSTRAINTS,
 * SYMMETRY, constant substitutions) must be a parameterless definition in the module, and at least
 * one invariant must be listed: with none, tla-checker falls back to checking definitions named
 * `Inv*`/`TypeOK*` and a broken one passes.
 *
 * @spec MC-TLA-NAMES.1
 */
export const checkConfigAgainstModule = (config: TlcConfig, tlaText: string): Result<true> => {
  if (config.invariants.length === 0) {
    return fail('Tla.Config.NO_INVARIANTS', 'the cfg lists no INVARIANT; list every invariant to be checked explicitly');
  }
  if (config.specification === undefined && (config.init === undefined || config.next === undefined)) {
    return fail('Tla.Config.NO_BEHAVIOUR', 'the cfg needs SPECIFICATION, or both INIT and NEXT');
  }
  const defs = tlaDefinitions(tlaText);
  const wanted: readonly (readonly [string, string])[] = [
    ...(config.init !== undefined ? [['INIT', config.init] as const] : []),
    ...(config.next !== undefined ? [['NEXT', config.next] as const] : []),
    ...(config.specification !== undefined ? [['SPECIFICATION', config.specification] as const] : []),
    ...config.invariants.map((n) => ['INVARIANT', n] as const),
    ...config.properties.map((n) => ['PROPERTY', n] as const),
    ...config.constraints.map((n) => ['CONSTRAINT', n] as const),
    ...(config.symmetry !== undefined ? [['SYMMETRY', config.symmetry] as const] : []),
    ...[...config.constants.values()].flatMap((v) =>
      v.kind === 'substitution' ? [['CONSTANT substitution', v.definition] as const] : [],
    ),
  ];
  for (const [role, name] of wanted) {
    const arity = defs.get(name);
    if (arity === undefined) {
      const code = role === 'INVARIANT' ? 'Tla.Config.INVARIANT_UNDEFINED' : 'Tla.Config.NAME_UNDEFINED';
      return fail(code, `${role} ${name} is not defined in the module`);
    }
    if (arity !== 0) {
      return fail('Tla.Config.NAME_HAS_PARAMETERS', `${role} ${name} is defined with ${arity} parameter(s); it must take none`);
    }
  }
  return ok(true);
};
