import { type Result, ok, fail } from './result.js';

/** A JSON value as the data model of RFC 8259 sees it. Numbers are IEEE-754 doubles. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** Nesting deeper than this is rejected rather than risking the reader's stack. */
export const MAX_JSON_DEPTH = 256;

type Parsed<T> = Result<{ readonly value: T; readonly end: number }>;

const WHITESPACE = ' \t\n\r';

const skipWhitespace = (text: string, pos: number): number =>
  pos < text.length && WHITESPACE.includes(text[pos]!) ? skipWhitespace(text, pos + 1) : pos;

const syntaxError = (text: string, pos: number, what: string): Result<never> =>
  fail('Encoding.Json.SYNTAX', `${what} at offset ${pos}${pos < text.length ? ` (found ${JSON.stringify(text[pos])})` : ' (end of input)'}`);

/**
 * Parses JSON text strictly: RFC 8259 grammar, plus the I-JSON restrictions (RFC 7493) that
 * RFC 8785 relies on. Duplicate member names, numbers that do not fit a finite double, and
 * strings holding a lone surrogate are rejected instead of being silently resolved, because two
 * readers that resolve them differently would hash the same bytes to different values.
 *
 * @spec ENC-JSON-STRICT.1
 */
export const parseJson = (text: string): Result<JsonValue> => {
  const parsed = parseValue(text, skipWhitespace(text, 0), 0);
  if (!parsed.ok) return parsed;
  const end = skipWhitespace(text, parsed.value.end);
  return end === text.length ? ok(parsed.value.value) : syntaxError(text, end, 'unexpected data after the JSON value');
};

const parseValue = (text: string, pos: number, depth: number): Parsed<JsonValue> => {
  if (depth > MAX_JSON_DEPTH) {
    return fail('Encoding.Json.TOO_DEEP', `nesting exceeds ${MAX_JSON_DEPTH} levels at offset ${pos}`);
  }
  const c = text[pos];
  if (c === '{') return parseObject(text, pos, depth);
  if (c === '[') return parseArray(text, pos, depth);
  if (c === '"') return parseString(text, pos);
  if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return parseNumber(text, pos);
  for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
    if (text.startsWith(word, pos)) return ok({ value, end: pos + word.length });
  }
  return syntaxError(text, pos, 'expected a JSON value');
};

const parseObject = (text: string, start: number, depth: number): Parsed<JsonValue> => {
  const entries: [string, JsonValue][] = [];
  const seen = new Set<string>();
  let pos = skipWhitespace(text, start + 1);
  if (text[pos] === '}') return ok({ value: {}, end: pos + 1 });
  for (;;) {
    if (text[pos] !== '"') return syntaxError(text, pos, 'expected a member name');
    const key = parseString(text, pos);
    if (!key.ok) return key;
    if (seen.has(key.value.value)) {
      return fail('Encoding.Json.DUPLICATE_KEY', `member name ${JSON.stringify(key.value.value)} appears twice in the object at offset ${start}`);
    }
    seen.add(key.value.value);
    pos = skipWhitespace(text, key.value.end);
    if (text[pos] !== ':') return syntaxError(text, pos, 'expected ":" after a member name');
    const member = parseValue(text, skipWhitespace(text, pos + 1), depth + 1);
    if (!member.ok) return member;
    entries.push([key.value.value, member.value.value]);
    pos = skipWhitespace(text, member.value.end);
    if (text[pos] === '}') return ok({ value: Object.fromEntries(entries), end: pos + 1 });
    if (text[pos] !== ',') return syntaxError(text, pos, 'expected "," or "}" in an object');
    pos = skipWhitespace(text, pos + 1);
  }
};

const parseArray = (text: string, start: number, depth: number): Parsed<JsonValue> => {
  const items: JsonValue[] = [];
  let pos = skipWhitespace(text, start + 1);
  if (text[pos] === ']') return ok({ value: items, end: pos + 1 });
  for (;;) {
    const item = parseValue(text, pos, depth + 1);
    if (!item.ok) return item;
    items.push(item.value.value);
    pos = skipWhitespace(text, item.value.end);
    if (text[pos] === ']') return ok({ value: items, end: pos + 1 });
    if (text[pos] !== ',') return syntaxError(text, pos, 'expected "," or "]" in an array');
    pos = skipWhitespace(text, pos + 1);
  }
};

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

const parseNumber = (text: string, pos: number): Parsed<JsonValue> => {
  NUMBER.lastIndex = pos;
  const match = NUMBER.exec(text);
  if (match === null) return syntaxError(text, pos, 'malformed number');
  const value = Number(match[0]);
  if (!Number.isFinite(value)) {
    return fail('Encoding.Json.NUMBER_OUT_OF_RANGE', `number ${match[0]} at offset ${pos} does not fit an IEEE-754 double`);
  }
  return ok({ value, end: pos + match[0].length });
};

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t',
};

const isHighSurrogate = (u: number): boolean => u >= 0xd800 && u <= 0xdbff;
const isLowSurrogate = (u: number): boolean => u >= 0xdc00 && u <= 0xdfff;

const parseString = (text: string, start: number): Parsed<string> => {
  let out = '';
  let pos = start + 1;
  for (;;) {
    if (pos >= text.length) return syntaxError(text, pos, `unterminated string starting at offset ${start}`);
    const c = text[pos]!;
    if (c === '"') break;
    if (c < ' ') return syntaxError(text, pos, 'unescaped control character in a string');
    if (c !== '\\') {
      out += c;
      pos += 1;
      continue;
    }
    const e = text[pos + 1];
    if (e === 'u') {
      const hex = text.slice(pos + 2, pos + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) return syntaxError(text, pos, 'malformed \\u escape');
      out += String.fromCharCode(parseInt(hex, 16));
      pos += 6;
    } else if (e !== undefined && e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
      pos += 2;
    } else {
      return syntaxError(text, pos, 'unknown escape sequence');
    }
  }
  const lone = findLoneSurrogate(out);
  if (lone !== undefined) {
    return fail('Encoding.Json.LONE_SURROGATE', `string starting at offset ${start} holds a lone surrogate U+${lone.toString(16).toUpperCase()}`);
  }
  return ok({ value: out, end: pos + 1 });
};

/** The first UTF-16 surrogate that is not part of a pair, if any. */
export const findLoneSurrogate = (s: string): number | undefined => {
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (isHighSurrogate(u) && isLowSurrogate(s.charCodeAt(i + 1))) i++;
    else if (isHighSurrogate(u) || isLowSurrogate(u)) return u;
  }
  return undefined;
};
