/**
 * A single-pass RFC 8785 canonicalizer over raw JSON text: it scans with char codes, checks the
 * same I-JSON rules as the model's strict parser (duplicate names, finite numbers, no lone
 * surrogates, bounded depth) and writes the canonical form as it goes, sorting each object's
 * members once they are known. Strings and numbers are serialized by the engine's JSON.stringify
 * and Number-to-String, which RFC 8785 adopts verbatim.
 */
import { createHash } from 'node:crypto';
import type { Result } from '../../model/encoding/result.js';

export const MAX_JSON_DEPTH = 256;

class JsonError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const WS = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

export const canonicalizeText = (text: string): Result<string> => {
  let pos = 0;
  const syntax = (what: string): never => {
    throw new JsonError('Encoding.Json.SYNTAX', `${what} at offset ${pos}${pos < text.length ? ` (found ${JSON.stringify(text[pos])})` : ' (end of input)'}`);
  };
  const skip = (): void => {
    while (pos < text.length && WS(text.charCodeAt(pos))) pos++;
  };
  const readString = (): string => {
    const start = pos;
    pos++;
    let out = '';
    let chunk = pos;
    for (;;) {
      if (pos >= text.length) syntax(`unterminated string starting at offset ${start}`);
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (c < 0x20) syntax('unescaped control character in a string');
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(chunk, pos);
      const e = text[pos + 1];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) syntax('malformed \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 4;
          break;
        }
        default: syntax('unknown escape sequence');
      }
      pos += 2;
      chunk = pos;
    }
    out += text.slice(chunk, pos);
    pos++;
    if (!out.isWellFormed()) {
      const lone = [...out].find((ch) => ch.length === 1 && (ch.charCodeAt(0) & 0xf800) === 0xd800)!;
      throw new JsonError('Encoding.Json.LONE_SURROGATE', `string starting at offset ${start} holds a lone surrogate U+${lone.charCodeAt(0).toString(16).toUpperCase()}`);
    }
    return out;
  };
  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const value = (depth: number): string => {
    if (depth > MAX_JSON_DEPTH) throw new JsonError('Encoding.Json.TOO_DEEP', `nesting exceeds ${MAX_JSON_DEPTH} levels at offset ${pos}`);
    const c = text.charCodeAt(pos);
    if (c === 0x7b) {
      const start = pos;
      pos++;
      skip();
      const members = new Map<string, string>();
      if (text.charCodeAt(pos) === 0x7d) {
        pos++;
        return '{}';
      }
      for (;;) {
        if (text.charCodeAt(pos) !== 0x22) syntax('expected a member name');
        const key = readString();
        if (members.has(key)) throw new JsonError('Encoding.Json.DUPLICATE_KEY', `member name ${JSON.stringify(key)} appears twice in the object at offset ${start}`);
        skip();
        if (text.charCodeAt(pos) !== 0x3a) syntax('expected ":" after a member name');
        pos++;
        skip();
        members.set(key, value(depth + 1));
        skip();
        const d = text.charCodeAt(pos);
        if (d === 0x7d) break;
        if (d !== 0x2c) syntax('expected "," or "}" in an object');
        pos++;
        skip();
      }
      pos++;
      const keys = [...members.keys()].sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${members.get(k)!}`).join(',')}}`;
    }
    if (c === 0x5b) {
      pos++;
      skip();
      if (text.charCodeAt(pos) === 0x5d) {
        pos++;
        return '[]';
      }
      const items: string[] = [];
      for (;;) {
        items.push(value(depth + 1));
        skip();
        const d = text.charCodeAt(pos);
        if (d === 0x5d) break;
        if (d !== 0x2c) syntax('expected "," or "]" in an array');
        pos++;
        skip();
      }
      pos++;
      return `[${items.join(',')}]`;
    }
    if (c === 0x22) return JSON.stringify(readString());
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = pos;
      const m = NUMBER.exec(text);
      if (m === null) syntax('malformed number');
      const n = Number(m![0]);
      if (!Number.isFinite(n)) throw new JsonError('Encoding.Json.NUMBER_OUT_OF_RANGE', `number ${m![0]} at offset ${pos} does not fit an IEEE-754 double`);
      pos += m![0].length;
      return String(n);
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return word;
      }
    }
    return syntax('expected a JSON value');
  };
  try {
    skip();
    const out = value(0);
    skip();
    if (pos !== text.length) syntax('unexpected data after the JSON value');
    return { ok: true, value: out };
  } catch (e) {
    if (e instanceof JsonError) return { ok: false, error: { code: e.code, message: e.message } };
    throw e;
  }
};

export const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());
