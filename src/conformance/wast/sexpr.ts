/**
 * The S-expression layer of the WebAssembly text format: tokens, strings, comments, and the
 * literal syntax of integers and floats (with exact rounding of float literals).
 */

export type SExpr =
  | { readonly kind: 'list'; readonly items: readonly SExpr[]; readonly pos: number }
  | { readonly kind: 'atom'; readonly text: string; readonly pos: number }
  | { readonly kind: 'string'; readonly bytes: Uint8Array; readonly pos: number };

export interface TextError { readonly textError: true; readonly code: string; readonly message: string }
export const textError = (code: string, message: string): TextError => ({ textError: true, code, message });
export const isTextError = (e: unknown): e is TextError =>
  typeof e === 'object' && e !== null && (e as { textError?: unknown }).textError === true;

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Parses a whole text into a list of top-level S-expressions; throws a `TextError` on bad syntax. */
export const parseSExprs = (src: string): SExpr[] => {
  let i = 0;
  const enc = new TextEncoder();
  const skip = (): void => {
    for (;;) {
      while (i < src.length && isSpace(src[i]!)) i++;
      if (src.startsWith(';;', i)) {
        while (i < src.length && src[i] !== '\n' && src[i] !== '\r') i++;
        continue;
      }
      if (src.startsWith('(;', i)) {
        let depth = 0;
        do {
          if (src.startsWith('(;', i)) { depth++; i += 2; }
          else if (src.startsWith(';)', i)) { depth--; i += 2; }
          else if (i >= src.length) throw textError('Wasm.Text.SYNTAX', 'unclosed block comment');
          else i++;
        } while (depth > 0);
        continue;
      }
      return;
    }
  };
  const str = (): SExpr => {
    const pos = i++;
    const out: number[] = [];
    for (;;) {
      if (i >= src.length) throw textError('Wasm.Text.SYNTAX', `unclosed string at ${pos}`);
      const c = src[i]!;
      if (c === '"') { i++; break; }
      if (c === '\n' || c.charCodeAt(0) < 0x20 || c === '\x7f') throw textError('Wasm.Text.SYNTAX', `control character in string at ${i}`);
      if (c !== '\\') {
        const cp = src.codePointAt(i)!;
        out.push(...enc.encode(String.fromCodePoint(cp)));
        i += cp > 0xffff ? 2 : 1;
        continue;
      }
      const e = src[i + 1];
      i += 2;
      switch (e) {
        case 't': out.push(9); break;
        case 'n': out.push(10); break;
        case 'r': out.push(13); break;
        case '"': out.push(0x22); break;
        case "'": out.push(0x27); break;
        case '\\': out.push(0x5c); break;
        case 'u': {
          const m = /^\{([0-9a-fA-F](?:_?[0-9a-fA-F])*)\}/.exec(src.slice(i));
          if (!m) throw textError('Wasm.Text.SYNTAX', `bad unicode escape at ${i}`);
          const cp = parseInt(m[1]!.replace(/_/g, ''), 16);
          if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw textError('Wasm.Text.SYNTAX', `bad code point at ${i}`);
          out.push(...enc.encode(String.fromCodePoint(cp)));
          i += m[0].length;
          break;
        }
        default: {
          const h = src.slice(i - 1, i + 1);
          if (!/^[0-9a-fA-F]{2}$/.test(h)) throw textError('Wasm.Text.SYNTAX', `bad escape at ${i - 2}`);
          out.push(parseInt(h, 16));
          i += 1;
        }
      }
    }
    return { kind: 'string', bytes: Uint8Array.from(out), pos };
  };
  const item = (): SExpr => {
    skip();
    const pos = i;
    const c = src[i];
    if (c === undefined) throw textError('Wasm.Text.SYNTAX', 'unexpected end of text');
    if (c === '(') {
      i++;
      const items: SExpr[] = [];
      for (;;) {
        skip();
        if (i >= src.length) throw textError('Wasm.Text.SYNTAX', `unclosed parenthesis at ${pos}`);
        if (src[i] === ')') { i++; return { kind: 'list', items, pos }; }
        items.push(item());
      }
    }
    if (c === ')') throw textError('Wasm.Text.SYNTAX', `unexpected ) at ${i}`);
    if (c === '"') return str();
    let j = i;
    while (j < src.length && !isSpace(src[j]!) && src[j] !== '(' && src[j] !== ')' && src[j] !== '"' && src[j] !== ';') j++;
    const text = src.slice(i, j);
    // A `;` that does not open a comment cannot start a token; without this check the scan
    // would make no progress.
    if (text === '') throw textError('Wasm.Text.SYNTAX', `unexpected character ${JSON.stringify(src[i])} at ${i}`);
    for (const ch of text) {
      const code = ch.codePointAt(0)!;
      if (code <= 0x20 || code >= 0x7f || ch === ',' || ch === '[' || ch === ']' || ch === '{' || ch === '}') throw textError('Wasm.Text.SYNTAX', `bad character in token at ${i}`);
    }
    i = j;
    if (j < src.length && (src[j] === '"' )) throw textError('Wasm.Text.SYNTAX', `token and string not separated at ${j}`);
    return { kind: 'atom', text, pos };
  };
  const out: SExpr[] = [];
  for (;;) {
    skip();
    if (i >= src.length) return out;
    out.push(item());
  }
};

const digits = (s: string, hex: boolean): boolean =>
  (hex ? /^[0-9a-fA-F](?:_?[0-9a-fA-F])*$/ : /^[0-9](?:_?[0-9])*$/).test(s);

/** An integer literal of `bits` width: signed or unsigned range, returned as a wrapped bigint. */
export const parseInt_ = (text: string, bits: 32 | 64): bigint => {
  let s = text;
  let neg = false;
  if (s.startsWith('+') || s.startsWith('-')) { neg = s[0] === '-'; s = s.slice(1); }
  const hex = s.startsWith('0x');
  const body = hex ? s.slice(2) : s;
  if (!digits(body, hex)) throw textError('Wasm.Text.SYNTAX', `unknown operator or malformed integer ${JSON.stringify(text)}`);
  const v = BigInt((hex ? '0x' : '') + body.replace(/_/g, ''));
  const half = 1n << BigInt(bits - 1);
  const inRange = neg ? v <= half : text.startsWith('+') ? v < half : v < 2n * half;
  if (!inRange) throw textError('Wasm.Text.CONSTANT_OUT_OF_RANGE', `constant out of range: ${text}`);
  return BigInt.asIntN(bits, neg ? -v : v);
};

/** An unsigned index or size literal (u32). */
export const parseU32 = (text: string): number | null => {
  const hex = text.startsWith('0x');
  const body = hex ? text.slice(2) : text;
  if (!digits(body, hex)) return null;
  const v = BigInt((hex ? '0x' : '') + body.replace(/_/g, ''));
  if (v > 0xffffffffn) throw textError('Wasm.Text.CONSTANT_OUT_OF_RANGE', `constant out of range: ${text}`);
  return Number(v);
};

interface FloatFormat { readonly p: number; readonly emin: number; readonly emax: number; readonly bits: 32 | 64 }
const F32: FloatFormat = { p: 24, emin: -126, emax: 127, bits: 32 };
const F64: FloatFormat = { p: 53, emin: -1022, emax: 1023, bits: 64 };

const bitLength = (x: bigint): number => (x === 0n ? 0 : x.toString(2).length);

/** Rounds num/den (positive) to the format, nearest-even; null when it overflows to infinity. */
const roundRational = (num: bigint, den: bigint, f: FloatFormat): bigint | null => {
  if (num === 0n) return 0n;
  let e = bitLength(num) - bitLength(den);
  // Adjust e so that 2^e <= num/den < 2^(e+1).
  const ge = (k: number): boolean => (k >= 0 ? num >= den << BigInt(k) : num << BigInt(-k) >= den);
  if (!ge(e)) e--;
  if (e < f.emin) e = f.emin;
  const shift = f.p - 1 - e;
  let n = num;
  let d = den;
  if (shift >= 0) n <<= BigInt(shift);
  else d <<= BigInt(-shift);
  let m = n / d;
  const r = n - m * d;
  if (2n * r > d || (2n * r === d && (m & 1n) === 1n)) m += 1n;
  if (m === 1n << BigInt(f.p)) { m >>= 1n; e += 1; }
  if (e > f.emax) return null;
  const mantBits = BigInt(f.p - 1);
  if (m < 1n << mantBits) return m; // subnormal (or zero): biased exponent 0
  return (BigInt(e + (f.bits === 32 ? 127 : 1023)) << mantBits) | (m - (1n << mantBits));
};

/** A float literal as the bit pattern of `bits` width. */
export const parseFloatBits = (text: string, bits: 32 | 64): bigint => {
  const f = bits === 32 ? F32 : F64;
  let s = text;
  let neg = false;
  if (s.startsWith('+') || s.startsWith('-')) { neg = s[0] === '-'; s = s.slice(1); }
  const sign = neg ? 1n << BigInt(bits - 1) : 0n;
  const expAll = bits === 32 ? 0xffn << 23n : 0x7ffn << 52n;
  const mantMask = (1n << BigInt(f.p - 1)) - 1n;
  if (s === 'inf') return sign | expAll;
  if (s === 'nan') return sign | expAll | (1n << BigInt(f.p - 2));
  if (s.startsWith('nan:0x')) {
    const h = s.slice(6);
    if (!digits(h, true)) throw textError('Wasm.Text.SYNTAX', `malformed NaN ${text}`);
    const payload = BigInt('0x' + h.replace(/_/g, ''));
    if (payload === 0n || payload > mantMask) throw textError('Wasm.Text.CONSTANT_OUT_OF_RANGE', `constant out of range: ${text}`);
    return sign | expAll | payload;
  }
  let num: bigint;
  let den = 1n;
  if (s.startsWith('0x')) {
    const m = /^0x([0-9a-fA-F](?:_?[0-9a-fA-F])*)?(?:(\.)([0-9a-fA-F](?:_?[0-9a-fA-F])*)?)?(?:[pP]([+-]?[0-9](?:_?[0-9])*))?$/.exec(s);
    if (!m || m[1] === undefined) throw textError('Wasm.Text.SYNTAX', `unknown operator or malformed float ${JSON.stringify(text)}`);
    const ip = m[1].replace(/_/g, '');
    const fp = (m[3] ?? '').replace(/_/g, '');
    const exp = m[4] === undefined ? 0 : parseInt(m[4].replace(/_/g, ''), 10);
    num = BigInt('0x' + ip + fp);
    let e2 = exp - 4 * fp.length;
    if (!Number.isFinite(e2) || Math.abs(e2) > 100000) e2 = Math.sign(e2) * 100000;
    if (e2 >= 0) num <<= BigInt(e2);
    else den <<= BigInt(-e2);
  } else {
    const m = /^([0-9](?:_?[0-9])*)(?:(\.)([0-9](?:_?[0-9])*)?)?(?:[eE]([+-]?[0-9](?:_?[0-9])*))?$/.exec(s);
    if (!m) throw textError('Wasm.Text.SYNTAX', `unknown operator or malformed float ${JSON.stringify(text)}`);
    const ip = m[1]!.replace(/_/g, '');
    const fp = (m[3] ?? '').replace(/_/g, '');
    let e10 = (m[4] === undefined ? 0 : parseInt(m[4].replace(/_/g, ''), 10)) - fp.length;
    num = BigInt(ip + fp);
    if (Math.abs(e10) > 10000) e10 = Math.sign(e10) * 10000;
    if (e10 >= 0) num *= 10n ** BigInt(e10);
    else den = 10n ** BigInt(-e10);
  }
  const r = roundRational(num, den, f);
  if (r === null) throw textError('Wasm.Text.CONSTANT_OUT_OF_RANGE', `constant out of range: ${text}`);
  return sign | r;
};
