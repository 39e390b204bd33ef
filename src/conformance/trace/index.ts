/**
 * Requirement traceability: which spec statement is implemented, tested, vectorised and model-checked
 * where.
 *
 * A requirement is *defined* in a chapter `spec/<chapter>.md` by its ID in bold brackets at the start
 * (or end) of a paragraph, list item or table row. Every other mention of an ID is a *citation* (in
 * code, vectors and TLA+) or a *reference* (in spec prose, inline code or code blocks), and every
 * citation and reference must name a defined requirement. What counts as a citation, per place:
 *
 * | where | kind | what is read |
 * |---|---|---|
 * | `src/model/**` | `model` | IDs after a `@spec` tag in a comment, with the exported symbol the comment documents |
 * | `src/impl/**` | `impl` | `@spec` tags, and string literals that are exactly an ID |
 * | `src/**` test files (`*.test.ts`) | `test` | `@spec` tags and IDs in test names (`it`, `test`, `describe`); string literals are fixtures and are not read |
 * | other `src/**` | `conformance` | `@spec` tags, and string literals that are exactly an ID |
 * | `vectors/**` `*.json` (not `vectors/schema/`) | `vector` | every entry of a `requirements` array and every string that is exactly an ID, with the suite and case |
 * | `spec/tla/*.tla`, `*.cfg` | `tla` | IDs after a `@spec` tag, with the operator or invariant the comment precedes |
 *
 * The module reads files and nothing else; problems are reported as values with stable codes
 * (`Trace.DANGLING_REFERENCE`, `Trace.DUPLICATE_DEFINITION`, `Trace.MALFORMED_VECTOR_FILE`,
 * `Trace.NO_SPEC_CHAPTERS`). A requirement nobody cites is *uncovered*: listed, not an error.
 */
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fail, ok, type Result } from '../../model/encoding/result.js';

/** The shape of a requirement ID: area, components, a dot and a version, e.g. `AREA-PART-RULE.1`. */
export const REQUIREMENT_ID_PATTERN = /[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\.[0-9]+/;
const ID_SOURCE = REQUIREMENT_ID_PATTERN.source;
const ID_GLOBAL = new RegExp(`(?<![A-Za-z0-9_.-])${ID_SOURCE}(?![A-Za-z0-9_]|\\.[0-9])`, 'g');
const ID_EXACT = new RegExp(`^${ID_SOURCE}$`);

export const isRequirementId = (s: string): boolean => ID_EXACT.test(s);

export type CitationKind = 'model' | 'impl' | 'test' | 'conformance' | 'vector' | 'tla';
export const CITATION_KINDS: readonly CitationKind[] = ['model', 'impl', 'test', 'conformance', 'vector', 'tla'];

export interface SourceLocation {
  /** Path relative to the repository root, with `/` separators. */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
}

export interface Citation extends SourceLocation {
  readonly id: string;
  readonly kind: CitationKind;
  /**
   * The symbol the citing comment documents: an exported declaration (`encodeHex`), a member
   * (`Failure.code`), a module path for a file-level comment (`encoding/result`), or a TLA+
   * operator / invariant name.
   */
  readonly symbol?: string;
  readonly symbolKind?: 'declaration' | 'member' | 'module' | 'operator';
  /**
   * When the comment documents a module-private declaration, its name; `symbol` is then the next
   * exported declaration of the file (the one that carries the rule into the API).
   */
  readonly local?: string;
  /** For vectors: the suite name from the file header (or the file name). */
  readonly suite?: string;
  /** For vectors: the id of the case whose requirements list the ID. */
  readonly caseId?: string;
}

/** A mention of an ID in spec prose that is not its definition. */
export interface SpecReference extends SourceLocation {
  readonly id: string;
  readonly chapter: string;
}

export interface Chapter {
  /** File name without `.md`: `encoding`. */
  readonly name: string;
  readonly file: string;
  /** The first level-1 heading, or the name. */
  readonly title: string;
}

export interface RequirementTrace extends SourceLocation {
  readonly id: string;
  readonly chapter: string;
  /** The statement: its paragraph or list item without markup, at most about 200 characters. */
  readonly text: string;
  readonly citations: Readonly<Record<CitationKind, readonly Citation[]>>;
  readonly references: readonly SpecReference[];
  /** Cited at least once outside spec prose. */
  readonly covered: boolean;
}

export type DanglingCitation =
  | (Citation & { readonly source: 'citation' })
  | (SpecReference & { readonly source: 'spec' });

export interface DuplicateDefinition {
  readonly id: string;
  readonly definitions: readonly SourceLocation[];
}

export type TraceProblemCode =
  | 'Trace.DANGLING_REFERENCE'
  | 'Trace.DUPLICATE_DEFINITION'
  | 'Trace.MALFORMED_VECTOR_FILE'
  | 'Trace.NO_SPEC_CHAPTERS';

export interface TraceProblem extends SourceLocation {
  readonly code: TraceProblemCode;
  readonly message: string;
}

export interface TraceSummary {
  readonly chapters: number;
  readonly requirements: number;
  readonly covered: number;
  readonly uncovered: number;
  readonly citations: Readonly<Record<CitationKind, number>>;
  readonly references: number;
  readonly dangling: number;
  readonly duplicates: number;
}

export interface TraceMatrix {
  readonly chapters: readonly Chapter[];
  /** In chapter order (index first, then as linked from the index, then by name), then by line. */
  readonly requirements: readonly RequirementTrace[];
  readonly dangling: readonly DanglingCitation[];
  readonly duplicates: readonly DuplicateDefinition[];
  /** IDs of defined requirements with no citation. Not an error. */
  readonly uncovered: readonly string[];
  /** Everything that makes the matrix fail: dangling IDs, duplicate definitions, unreadable vector files. */
  readonly problems: readonly TraceProblem[];
  readonly summary: TraceSummary;
  readonly ok: boolean;
}

// ---------------------------------------------------------------------------------------------
// Files

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git']);

const listFiles = async (root: string, rel: string): Promise<string[]> => {
  const abs = path.join(root, rel);
  let entries;
  try {
    entries = await readdir(abs, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.') || SKIP_DIRS.has(e.name)) continue;
    const child = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await listFiles(root, child)));
    else if (e.isFile()) out.push(child);
  }
  return out;
};

const readText = (root: string, rel: string): Promise<string> => readFile(path.join(root, rel), 'utf8');

const splitLines = (text: string): string[] => text.split(/\r?\n/);

// ---------------------------------------------------------------------------------------------
// Spec chapters

interface Definition extends SourceLocation {
  readonly id: string;
  readonly chapter: string;
  readonly text: string;
}

const DEFINITION = new RegExp(`\\*\\*\\[(${ID_SOURCE})\\]\\*\\*`, 'g');
const FENCE = /^\s*(`{3,}|~{3,})/;
const LIST_ITEM = /^\s*(?:[-*+]|\d+[.)])\s+/;
const HEADING = /^\s{0,3}#{1,6}\s/;
const TABLE_ROW = /^\s*\|/;

/** Replaces inline code spans by spaces so that a definition inside `code` is not a definition. */
const maskInlineCode = (line: string): string =>
  line.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (m) => ' '.repeat(m.length));

/** Removes markdown markup from prose (not from inline code) for display. */
const plainProse = (s: string): string =>
  s
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\*\*|__/g, '')
    .replace(/(^|[\s(["'])[*_]+(?=\S)/g, '$1')
    .replace(/(\S)[*_]+(?=$|[\s).,;:!?'"\]])/g, '$1')
    .replace(/<\/?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?\/?>/g, '')
    .replace(/\s*\|\s*/g, ' ');

/** Removes markdown markup from a statement for display; inline code keeps its text as written. */
const plainText = (s: string): string =>
  s
    .replace(/(`+)([\s\S]*?)\1|[^`]+|`/g, (whole, ticks: string | undefined, code: string | undefined) =>
      ticks !== undefined && code !== undefined ? code.trim() : plainProse(whole),
    )
    .replace(/\s+/g, ' ')
    .trim();

const MAX_STATEMENT = 200;
const shorten = (s: string): string => {
  if (s.length <= MAX_STATEMENT) return s;
  const cut = s.slice(0, MAX_STATEMENT - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > MAX_STATEMENT * 0.7 ? cut.slice(0, space) : cut).trimEnd()}…`;
};

interface Block {
  readonly start: number; // 0-based line index
  readonly lines: readonly string[];
}

/** Paragraphs, list items, table rows and headings of a chapter, outside fenced code. */
const blocksOf = (lines: readonly string[], inFence: readonly boolean[]): Block[] => {
  const blocks: Block[] = [];
  let current: { start: number; lines: string[] } | undefined;
  const close = (): void => {
    if (current !== undefined) blocks.push(current);
    current = undefined;
  };
  lines.forEach((line, i) => {
    if (inFence[i] === true || line.trim() === '') {
      close();
      return;
    }
    const single = HEADING.test(line) || TABLE_ROW.test(line);
    if (single || LIST_ITEM.test(line)) close();
    if (current === undefined) current = { start: i, lines: [] };
    current.lines.push(line);
    if (single) close();
  });
  close();
  return blocks;
};

const statementOf = (block: Block, id: string, occurrence: number): string => {
  const joined = block.lines.join('\n');
  // Definitions are found with inline code masked (same length), the text is cut from the original.
  const marks = [...block.lines.map(maskInlineCode).join('\n').matchAll(DEFINITION)];
  const idx = marks.findIndex((m, k) => m[1] === id && marks.slice(0, k).filter((x) => x[1] === id).length === occurrence);
  const mark = marks[idx];
  if (mark === undefined || mark.index === undefined) return shorten(plainText(joined));
  const next = marks[idx + 1];
  const prev = marks[idx - 1];
  const after = joined.slice(mark.index + mark[0].length, next?.index ?? joined.length);
  const afterText = plainText(after.replace(LIST_ITEM, ''));
  if (afterText.replace(/[.:;,\s]/g, '') !== '') return shorten(afterText.replace(/^[:.\-–—\s]+/, ''));
  const before = joined.slice(prev === undefined || prev.index === undefined ? 0 : prev.index + prev[0].length, mark.index);
  return shorten(plainText(before.replace(LIST_ITEM, '')));
};

interface ChapterScan {
  readonly chapter: Chapter;
  readonly definitions: readonly Definition[];
  readonly references: readonly SpecReference[];
  readonly links: readonly string[];
}

const scanChapter = (file: string, text: string): ChapterScan => {
  const name = path.posix.basename(file, '.md');
  const lines = splitLines(text);
  const inFence: boolean[] = [];
  let fence: string | undefined;
  for (const line of lines) {
    const m = FENCE.exec(line);
    if (fence === undefined) {
      if (m?.[1] !== undefined) {
        fence = m[1];
        inFence.push(true);
      } else inFence.push(false);
    } else {
      inFence.push(true);
      if (m?.[1] !== undefined && m[1][0] === fence[0] && m[1].length >= fence.length && line.trim() === m[1]) fence = undefined;
    }
  }
  const titleLine = lines.find((l, i) => inFence[i] !== true && /^#\s+\S/.test(l));
  const title = titleLine === undefined ? name : plainText(titleLine.replace(/^#\s+/, '').replace(/\s+#+\s*$/, ''));

  const blocks = blocksOf(lines, inFence);
  const blockAt = new Map<number, Block>();
  for (const b of blocks) b.lines.forEach((_, k) => blockAt.set(b.start + k, b));

  const definitions: Definition[] = [];
  const references: SpecReference[] = [];
  const seenInBlock = new Map<Block, Map<string, number>>();
  lines.forEach((line, i) => {
    const defined = new Set<number>(); // start offsets of definition IDs on this line
    if (inFence[i] !== true) {
      const masked = maskInlineCode(line);
      for (const m of masked.matchAll(DEFINITION)) {
        const id = m[1];
        if (id === undefined || m.index === undefined) continue;
        defined.add(m.index + 3);
        const block = blockAt.get(i);
        let occurrence = 0;
        if (block !== undefined) {
          const seen = seenInBlock.get(block) ?? new Map<string, number>();
          occurrence = seen.get(id) ?? 0;
          seen.set(id, occurrence + 1);
          seenInBlock.set(block, seen);
        }
        definitions.push({
          id,
          chapter: name,
          file,
          line: i + 1,
          text: block === undefined ? '' : statementOf(block, id, occurrence),
        });
      }
    }
    for (const m of line.matchAll(ID_GLOBAL)) {
      if (m.index === undefined || defined.has(m.index)) continue;
      references.push({ id: m[0], chapter: name, file, line: i + 1 });
    }
  });

  const links: string[] = [];
  lines.forEach((line, i) => {
    if (inFence[i] === true) return;
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>#]+\.md)(?:#[^)\s>]*)?>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1];
      if (target !== undefined && !/^[a-z]+:/i.test(target)) links.push(path.posix.basename(target, '.md'));
    }
  });
  return { chapter: { name, file, title }, definitions, references, links };
};

/** Index first, then chapters in the order the index links them, then the rest by name. */
const orderChapters = (scans: readonly ChapterScan[]): ChapterScan[] => {
  const byName = new Map(scans.map((s) => [s.chapter.name, s]));
  const order: string[] = [];
  const add = (n: string): void => {
    if (byName.has(n) && !order.includes(n)) order.push(n);
  };
  add('index');
  for (const l of byName.get('index')?.links ?? []) add(l);
  for (const s of [...scans].sort((a, b) => (a.chapter.name < b.chapter.name ? -1 : 1))) add(s.chapter.name);
  return order.map((n) => byName.get(n)).filter((s): s is ChapterScan => s !== undefined);
};

// ---------------------------------------------------------------------------------------------
// TypeScript and TLA+ sources

const SPEC_TAG = new RegExp(`@spec\\b((?:[\\s,]+${ID_SOURCE})+)`);
const ONLY_IDS = new RegExp(`^(?:[\\s,]*${ID_SOURCE})+[\\s,]*$`);
const DECLARATION =
  /^(export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:const\s+enum|const|let|var|function\s*\*?|type|interface|class|enum|namespace)\s+([A-Za-z_$][\w$]*)/;
const MEMBER = /^\s+(?:readonly\s+|static\s+|public\s+|async\s+|get\s+|set\s+)*([A-Za-z_$][\w$]*)\??\s*[:(=<]/;

const idsIn = (s: string): string[] => [...s.matchAll(ID_GLOBAL)].map((m) => m[0]);

/** Is the `@spec` at `col` of `line` inside a comment (as far as one line can tell)? */
const inComment = (line: string, col: number, tla: boolean): boolean => {
  const before = line.slice(0, col);
  if (tla) return /\\\*|\(\*/.test(before);
  return /^\s*(?:\/\*\*?|\*|\/\/)/.test(before) || /\/\/|\/\*/.test(before);
};

interface TagHit {
  readonly line: number; // 0-based
  readonly ids: readonly string[];
}

/** `@spec` tags in comments, including IDs continued on the following comment lines. */
const specTags = (lines: readonly string[], tla: boolean): TagHit[] => {
  const hits: TagHit[] = [];
  lines.forEach((line, i) => {
    const m = SPEC_TAG.exec(line);
    if (m === null || m[1] === undefined || !inComment(line, m.index, tla)) return;
    hits.push({ line: i, ids: idsIn(m[1]) });
    // continuation lines: ` *   ID ID` directly below
    for (let j = i + 1; j < lines.length; j++) {
      const body = (lines[j] ?? '').replace(/^\s*(?:\*(?!\/)|\/\/|\\\*)/, '').replace(/\*\/\s*$/, '');
      if (!ONLY_IDS.test(body)) break;
      hits.push({ line: j, ids: idsIn(body) });
    }
  });
  return hits;
};

interface SymbolInfo {
  readonly symbol: string;
  readonly symbolKind: 'declaration' | 'member' | 'module';
  readonly local?: string;
}

/** The symbol documented by the comment that contains line `at` of a TypeScript file. */
const tsSymbolFor = (lines: readonly string[], at: number, modulePath: string): SymbolInfo | undefined => {
  // Find the end of the comment holding the tag.
  let end = at;
  const startLine = lines[at] ?? '';
  const isLineComment = /^\s*\/\//.test(startLine) || (/\/\//.test(startLine) && !/\/\*/.test(startLine));
  let commentText = startLine;
  if (isLineComment) {
    while (end + 1 < lines.length && /^\s*\/\//.test(lines[end + 1] ?? '')) {
      end++;
      commentText += `\n${lines[end] ?? ''}`;
    }
  } else {
    let start = at;
    while (start > 0 && !/\/\*/.test(lines[start] ?? '')) start--;
    commentText = lines.slice(start, at).join('\n');
    while (end < lines.length && !/\*\//.test(lines[end] ?? '')) end++;
    commentText += `\n${lines.slice(at, end + 1).join('\n')}`;
  }
  if (/@packageDocumentation|@module\b/.test(commentText)) return { symbol: modulePath, symbolKind: 'module' };
  // The first code line after the comment.
  let k = end + 1;
  while (k < lines.length) {
    const l = (lines[k] ?? '').trim();
    if (l === '' || l.startsWith('//') || l.startsWith('@')) {
      k++;
      continue;
    }
    if (l.startsWith('/*')) {
      while (k < lines.length && !/\*\//.test(lines[k] ?? '')) k++;
      k++;
      continue;
    }
    break;
  }
  const code = lines[k];
  if (code === undefined) return undefined;
  const decl = DECLARATION.exec(code);
  if (decl !== null && decl[2] !== undefined) {
    if (decl[1] !== undefined) return { symbol: decl[2], symbolKind: 'declaration' };
    // A module-private declaration: the rule belongs to the next exported declaration.
    for (let n = k + 1; n < lines.length; n++) {
      const next = DECLARATION.exec(lines[n] ?? '');
      if (next?.[1] !== undefined && next[2] !== undefined) return { symbol: next[2], symbolKind: 'declaration', local: decl[2] };
    }
    return { symbol: modulePath, symbolKind: 'module', local: decl[2] };
  }
  const member = MEMBER.exec(code);
  if (member?.[1] !== undefined) {
    for (let b = at - 1; b >= 0; b--) {
      const outer = DECLARATION.exec(lines[b] ?? '');
      if (outer?.[2] !== undefined) {
        return outer[1] !== undefined ? { symbol: `${outer[2]}.${member[1]}`, symbolKind: 'member' } : undefined;
      }
    }
  }
  return undefined;
};

const tlaSymbolFor = (lines: readonly string[], at: number): string | undefined => {
  for (let k = at + 1; k < lines.length; k++) {
    const l = (lines[k] ?? '').trim();
    if (l === '' || l.startsWith('\\*') || l.startsWith('(*')) continue;
    const op = /^([A-Za-z_][\w]*)\s*(?:\([^)]*\))?\s*==/.exec(l);
    if (op?.[1] !== undefined) return op[1];
    const inv = /^(?:INVARIANTS?|PROPERT(?:Y|IES)|SPECIFICATION|INIT|NEXT|CONSTRAINTS?)\s+([A-Za-z_][\w]*)/.exec(l);
    if (inv?.[1] !== undefined) return inv[1];
    return undefined;
  }
  return undefined;
};

const TEST_NAME =
  /\b(?:it|test|describe|suite)(?:\.(?:each|only|skip|concurrent|sequential|todo|fails|runIf|skipIf)(?:\([^)]*\))?)*\s*\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;
const EXACT_STRING = new RegExp(`(['"\`])(${ID_SOURCE})\\1`, 'g');

const SOURCE_EXT = /\.(?:ts|mts|cts|tsx|js|mjs|cjs)$/;
const TEST_FILE = /\.test\.(?:ts|mts|cts|tsx|js|mjs)$/;

const kindOfSource = (file: string): CitationKind =>
  TEST_FILE.test(file)
    ? 'test'
    : file.startsWith('src/model/')
      ? 'model'
      : file.startsWith('src/impl/')
        ? 'impl'
        : 'conformance';

const scanSource = (file: string, text: string): Citation[] => {
  const kind = kindOfSource(file);
  const lines = splitLines(text);
  const out: Citation[] = [];
  const modulePath = file.replace(/^src\/model\//, '').replace(SOURCE_EXT, '');
  for (const hit of specTags(lines, false)) {
    const sym = kind === 'model' ? tsSymbolFor(lines, hit.line, modulePath) : undefined;
    for (const id of hit.ids) {
      out.push({ id, kind, file, line: hit.line + 1, ...(sym === undefined ? {} : sym) });
    }
  }
  lines.forEach((line, i) => {
    if (kind === 'test') {
      for (const m of line.matchAll(TEST_NAME)) {
        for (const id of idsIn(m[2] ?? '')) out.push({ id, kind, file, line: i + 1 });
      }
    } else {
      if (/^\s*(?:\*|\/\/|\/\*)/.test(line)) return;
      for (const m of line.matchAll(EXACT_STRING)) {
        if (m[2] !== undefined) out.push({ id: m[2], kind, file, line: i + 1 });
      }
    }
  });
  return out;
};

const scanTla = (file: string, text: string): Citation[] => {
  const lines = splitLines(text);
  const out: Citation[] = [];
  for (const hit of specTags(lines, true)) {
    const symbol = tlaSymbolFor(lines, hit.line);
    for (const id of hit.ids) {
      out.push({
        id,
        kind: 'tla',
        file,
        line: hit.line + 1,
        ...(symbol === undefined ? {} : { symbol, symbolKind: 'operator' as const }),
      });
    }
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Vector files: a JSON reader that keeps line numbers

type JsonNode =
  | { readonly t: 'object'; readonly line: number; readonly entries: readonly (readonly [string, JsonNode])[] }
  | { readonly t: 'array'; readonly line: number; readonly items: readonly JsonNode[] }
  | { readonly t: 'string'; readonly line: number; readonly value: string }
  | { readonly t: 'scalar'; readonly line: number };

const parseJsonWithLines = (text: string): Result<JsonNode> => {
  let pos = 0;
  let line = 1;
  const err = (what: string): Result<never> =>
    fail('Trace.MALFORMED_VECTOR_FILE', `line ${line}: ${what}`);
  const ws = (): void => {
    while (pos < text.length) {
      const c = text[pos];
      if (c === '\n') line++;
      else if (c !== ' ' && c !== '\t' && c !== '\r') break;
      pos++;
    }
  };
  const str = (): Result<string> => {
    const start = pos;
    pos++;
    while (pos < text.length) {
      const c = text[pos];
      if (c === '\\') pos += 2;
      else if (c === '"') {
        pos++;
        try {
          return ok(JSON.parse(text.slice(start, pos)) as string);
        } catch {
          return err('bad string escape');
        }
      } else if (c === '\n') return err('newline in string');
      else pos++;
    }
    return err('unterminated string');
  };
  const value = (depth: number): Result<JsonNode> => {
    if (depth > 512) return err('nesting too deep');
    ws();
    const at = line;
    const c = text[pos];
    if (c === '{') {
      pos++;
      const entries: [string, JsonNode][] = [];
      ws();
      if (text[pos] === '}') {
        pos++;
        return ok({ t: 'object', line: at, entries });
      }
      for (;;) {
        ws();
        if (text[pos] !== '"') return err('expected a property name');
        const k = str();
        if (!k.ok) return k;
        ws();
        if (text[pos] !== ':') return err("expected ':'");
        pos++;
        const v = value(depth + 1);
        if (!v.ok) return v;
        entries.push([k.value, v.value]);
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] === '}') {
          pos++;
          return ok({ t: 'object', line: at, entries });
        } else return err("expected ',' or '}'");
      }
    }
    if (c === '[') {
      pos++;
      const items: JsonNode[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return ok({ t: 'array', line: at, items });
      }
      for (;;) {
        const v = value(depth + 1);
        if (!v.ok) return v;
        items.push(v.value);
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] === ']') {
          pos++;
          return ok({ t: 'array', line: at, items });
        } else return err("expected ',' or ']'");
      }
    }
    if (c === '"') {
      const s = str();
      return s.ok ? ok({ t: 'string', line: at, value: s.value }) : s;
    }
    const m = /^(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)/.exec(text.slice(pos, pos + 400));
    if (m === null) return err(c === undefined ? 'unexpected end of file' : `unexpected '${c}'`);
    pos += m[0].length;
    return ok({ t: 'scalar', line: at });
  };
  const root = value(0);
  if (!root.ok) return root;
  ws();
  return pos === text.length ? root : err('unexpected text after the JSON value');
};

const field = (node: JsonNode, key: string): JsonNode | undefined =>
  node.t === 'object' ? node.entries.find(([k]) => k === key)?.[1] : undefined;

const scanVectors = (file: string, text: string): Result<Citation[]> => {
  const parsed = parseJsonWithLines(text);
  if (!parsed.ok) return fail(parsed.error.code, `${file}: ${parsed.error.message}`);
  const root = parsed.value;
  const suiteNode = field(root, 'suite');
  const suite = suiteNode?.t === 'string' ? suiteNode.value : path.posix.basename(file, '.json');
  const out: Citation[] = [];
  const cite = (id: string, line: number, caseId: string | undefined): void => {
    out.push({ id, kind: 'vector', file, line, suite, ...(caseId === undefined ? {} : { caseId }) });
  };
  const walk = (node: JsonNode, caseId: string | undefined, inCases: boolean, inRequirements: boolean): void => {
    switch (node.t) {
      case 'string':
        if (inRequirements || isRequirementId(node.value)) cite(node.value, node.line, caseId);
        return;
      case 'array':
        for (const item of node.items) {
          let id = caseId;
          if (inCases) {
            const idNode = field(item, 'id');
            if (idNode?.t === 'string') id = idNode.value;
          }
          walk(item, id, false, inRequirements);
        }
        return;
      case 'object':
        for (const [k, v] of node.entries) walk(v, caseId, k === 'cases' && caseId === undefined, k === 'requirements');
        return;
      case 'scalar':
        return;
    }
  };
  walk(root, undefined, false, false);
  return ok(out);
};

// ---------------------------------------------------------------------------------------------
// The matrix

const emptyByKind = <T>(f: () => T): Record<CitationKind, T> => ({
  model: f(),
  impl: f(),
  test: f(),
  conformance: f(),
  vector: f(),
  tla: f(),
});

const byLocation = (a: SourceLocation, b: SourceLocation): number =>
  a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line;

/** Reads the repository at `root` and builds the requirement traceability matrix. @spec TRACE-MATRIX.1 */
export const buildTraceMatrix = async (root: string): Promise<TraceMatrix> => {
  const problems: TraceProblem[] = [];

  // Chapters.
  const specFiles = (await listFiles(root, 'spec')).filter((f) => /^spec\/[^/]+\.md$/.test(f));
  const scans = orderChapters(
    await Promise.all(specFiles.map(async (f) => scanChapter(f, await readText(root, f)))),
  );
  if (scans.length === 0) {
    problems.push({ code: 'Trace.NO_SPEC_CHAPTERS', message: 'no spec/*.md chapters found', file: 'spec', line: 0 });
  }

  // Citations.
  const citations: Citation[] = [];
  for (const f of (await listFiles(root, 'src')).filter((f) => SOURCE_EXT.test(f) && !f.endsWith('.d.ts'))) {
    citations.push(...scanSource(f, await readText(root, f)));
  }
  for (const f of (await listFiles(root, 'vectors')).filter((f) => f.endsWith('.json') && !f.startsWith('vectors/schema/'))) {
    const r = scanVectors(f, await readText(root, f));
    if (r.ok) citations.push(...r.value);
    else {
      const line = Number(/line (\d+)/.exec(r.error.message)?.[1] ?? 0);
      problems.push({ code: 'Trace.MALFORMED_VECTOR_FILE', message: r.error.message, file: f, line });
    }
  }
  for (const f of (await listFiles(root, 'spec/tla')).filter((f) => /\.(?:tla|cfg)$/.test(f))) {
    citations.push(...scanTla(f, await readText(root, f)));
  }

  // Definitions and duplicates.
  const definitions = new Map<string, Definition[]>();
  for (const s of scans) for (const d of s.definitions) definitions.set(d.id, [...(definitions.get(d.id) ?? []), d]);
  const duplicates: DuplicateDefinition[] = [];
  for (const [id, defs] of definitions) {
    if (defs.length < 2) continue;
    duplicates.push({ id, definitions: defs.map((d) => ({ file: d.file, line: d.line })) });
    const [first, ...rest] = defs;
    for (const d of rest) {
      problems.push({
        code: 'Trace.DUPLICATE_DEFINITION',
        message: `${id} is defined again (first defined at ${first?.file}:${first?.line})`,
        file: d.file,
        line: d.line,
      });
    }
  }

  // Group citations and references; collect dangling ones.
  const cited = new Map<string, Record<CitationKind, Citation[]>>();
  const referenced = new Map<string, SpecReference[]>();
  const dangling: DanglingCitation[] = [];
  for (const c of citations) {
    if (!definitions.has(c.id)) {
      dangling.push({ ...c, source: 'citation' });
      continue;
    }
    const g = cited.get(c.id) ?? emptyByKind<Citation[]>(() => []);
    g[c.kind].push(c);
    cited.set(c.id, g);
  }
  for (const s of scans) {
    for (const r of s.references) {
      if (!definitions.has(r.id)) dangling.push({ ...r, source: 'spec' });
      else referenced.set(r.id, [...(referenced.get(r.id) ?? []), r]);
    }
  }
  dangling.sort(byLocation);
  for (const d of dangling) {
    const what = d.source === 'spec' ? `spec chapter ${d.chapter} refers to` : `${d.kind} citation of`;
    problems.push({
      code: 'Trace.DANGLING_REFERENCE',
      message: `${what} ${d.id}, which no chapter defines`,
      file: d.file,
      line: d.line,
    });
  }

  // Requirements in chapter order; the first definition wins for duplicates.
  const requirements: RequirementTrace[] = [];
  const seen = new Set<string>();
  for (const s of scans) {
    for (const d of s.definitions) {
      if (seen.has(d.id)) continue;
      seen.add(d.id);
      const g = cited.get(d.id) ?? emptyByKind<Citation[]>(() => []);
      const byKind = emptyByKind<readonly Citation[]>(() => []);
      for (const k of CITATION_KINDS) byKind[k] = [...g[k]].sort(byLocation);
      requirements.push({
        id: d.id,
        chapter: d.chapter,
        file: d.file,
        line: d.line,
        text: d.text,
        citations: byKind,
        references: referenced.get(d.id) ?? [],
        covered: CITATION_KINDS.some((k) => g[k].length > 0),
      });
    }
  }
  const uncovered = requirements.filter((r) => !r.covered).map((r) => r.id);
  const citationCounts = emptyByKind(() => 0);
  for (const r of requirements) for (const k of CITATION_KINDS) citationCounts[k] += r.citations[k].length;

  problems.sort(byLocation);
  return {
    chapters: scans.map((s) => s.chapter),
    requirements,
    dangling,
    duplicates,
    uncovered,
    problems,
    summary: {
      chapters: scans.length,
      requirements: requirements.length,
      covered: requirements.length - uncovered.length,
      uncovered: uncovered.length,
      citations: citationCounts,
      references: [...referenced.values()].reduce((n, rs) => n + rs.length, 0),
      dangling: dangling.length,
      duplicates: duplicates.length,
    },
    ok: problems.length === 0,
  };
};

/** The matrix as a value, or its first problem as a failure (the message counts the rest). */
export const checkTraceMatrix = (m: TraceMatrix): Result<TraceMatrix> => {
  const first = m.problems[0];
  if (first === undefined) return ok(m);
  const more = m.problems.length > 1 ? ` (and ${m.problems.length - 1} more problems)` : '';
  return fail(first.code, `${first.file}:${first.line}: ${first.message}${more}`);
};

// ---------------------------------------------------------------------------------------------
// Output

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

const modelCell = (cs: readonly Citation[]): string => {
  if (cs.length === 0) return '-';
  const names = unique(cs.map((c) => c.symbol ?? '?'));
  const text = names.join(', ');
  return text.length <= 40 ? text : `${names.length} symbols`;
};
const countCell = (cs: readonly Citation[]): string => (cs.length === 0 ? '-' : String(cs.length));
const vectorCell = (cs: readonly Citation[]): string => {
  if (cs.length === 0) return '-';
  const cases = unique(cs.map((c) => `${c.file}#${c.caseId ?? ''}`)).length;
  return String(cases);
};
const tlaCell = (cs: readonly Citation[]): string => {
  if (cs.length === 0) return '-';
  const names = unique(cs.map((c) => c.symbol ?? path.posix.basename(c.file)));
  const text = names.join(', ');
  return text.length <= 30 ? text : String(cs.length);
};

/** Summary line: `N requirements in C chapters: K covered, U uncovered; D dangling; X duplicated`. */
export const formatTraceSummary = (m: TraceMatrix): string => {
  const s = m.summary;
  const verdict = m.ok ? 'OK' : `FAIL (${m.problems.length} problem${m.problems.length === 1 ? '' : 's'})`;
  return (
    `${s.requirements} requirements in ${s.chapters} chapters: ${s.covered} covered, ${s.uncovered} uncovered; ` +
    `${s.dangling} dangling, ${s.duplicates} duplicated: ${verdict}`
  );
};

/**
 * A readable text table, one row per requirement (ID | model | impl | tests | vectors | TLA+, and
 * conformance when other conformance code cites requirements), then
 * the uncovered requirements, dangling citations (file:line), duplicate definitions and a summary line.
 */
export const formatTraceMatrix = (m: TraceMatrix): string => {
  // Citations from other conformance code get a column only when there are any.
  const withConformance = m.summary.citations.conformance > 0;
  const header = ['ID', 'model', 'impl', 'tests', 'vectors', 'TLA+', ...(withConformance ? ['conformance'] : [])];
  const rows = m.requirements.map((r) => [
    r.id,
    modelCell(r.citations.model),
    countCell(r.citations.impl),
    countCell(r.citations.test),
    vectorCell(r.citations.vector),
    tlaCell(r.citations.tla),
    ...(withConformance ? [countCell(r.citations.conformance)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const fmt = (cells: readonly string[]): string =>
    cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ').trimEnd();
  const out: string[] = [fmt(header), widths.map((w) => '-'.repeat(w)).join('-|-')];
  let chapter: string | undefined;
  for (const [i, r] of m.requirements.entries()) {
    if (r.chapter !== chapter && m.chapters.length > 1) {
      chapter = r.chapter;
      out.push(`  -- ${m.chapters.find((c) => c.name === chapter)?.title ?? chapter} (${r.file})`);
    }
    out.push(fmt(rows[i] ?? []));
  }
  if (m.uncovered.length > 0) {
    out.push('', `Uncovered (defined, cited nowhere) [${m.uncovered.length}]:`);
    for (const id of m.uncovered) {
      const r = m.requirements.find((x) => x.id === id);
      out.push(`  ${id}  ${r === undefined ? '' : `${r.file}:${r.line}`}`);
    }
  }
  if (m.dangling.length > 0) {
    out.push('', `Dangling (cited, defined nowhere) [${m.dangling.length}]:`);
    for (const d of m.dangling) {
      const where = d.source === 'spec' ? 'spec' : d.kind;
      const extra = d.source === 'citation' && d.caseId !== undefined ? ` case ${d.caseId}` : '';
      out.push(`  ${d.file}:${d.line}  ${d.id}  (${where}${extra})`);
    }
  }
  if (m.duplicates.length > 0) {
    out.push('', `Duplicate definitions [${m.duplicates.length}]:`);
    for (const d of m.duplicates) out.push(`  ${d.id}  ${d.definitions.map((l) => `${l.file}:${l.line}`).join(', ')}`);
  }
  const other = m.problems.filter((p) => p.code !== 'Trace.DANGLING_REFERENCE' && p.code !== 'Trace.DUPLICATE_DEFINITION');
  if (other.length > 0) {
    out.push('', 'Other problems:');
    for (const p of other) out.push(`  ${p.file}:${p.line}  ${p.code}  ${p.message}`);
  }
  out.push('', formatTraceSummary(m));
  return out.join('\n');
};

export type TraceMatrixJson = { readonly format: 'pharos-trace/1' } & TraceMatrix;

/**
 * The matrix as a JSON value (plain data, tagged `format: "pharos-trace/1"`) for `JSON.stringify`;
 * stable for a given repository state.
 */
export const traceMatrixToJson = (m: TraceMatrix): TraceMatrixJson => ({ format: 'pharos-trace/1', ...m });
