/**
 * Builds the specification website.
 *
 * - every `spec/*.md` chapter becomes `spec/<name>.html` (the index chapter is the landing page;
 *   `index.html` at the site root redirects to it);
 * - requirement IDs become anchors (`id="AREA-PART-RULE.1"`), each definition links to the model
 *   symbols that cite it in the API reference and to its row of the traceability matrix, and every
 *   other mention of an ID links to its definition;
 * - mermaid code blocks are rendered to inline SVG at build time (one headless Chromium for all);
 * - the TypeDoc reference of `src/model` goes to `api/`, with every requirement ID in it linked back
 *   to the chapter that defines it;
 * - `spec/trace.html` shows the traceability matrix; cited source files get line-numbered pages
 *   under `source/` so the matrix can point at the exact line.
 *
 * All links are relative, so the site works from `file://` and from any static server.
 * Run as a script (`node dist/docs/build.js`) it builds the repository's site into `docs/site/`.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Marked } from 'marked';
import {
  buildTraceMatrix,
  formatTraceSummary,
  type Citation,
  type CitationKind,
  type Chapter,
  type RequirementTrace,
  type TraceMatrix,
  type TraceSummary,
} from '../src/conformance/trace/index.js';

/** Chromium flags for headless rendering on CI machines (running as root, no GPU, small /dev/shm). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-setuid-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The Chromium used for diagrams and the site test: `PUPPETEER_EXECUTABLE_PATH`, else Debian's. */
export const defaultChromium = (): string => process.env['PUPPETEER_EXECUTABLE_PATH'] ?? '/usr/bin/chromium';

export interface SiteOptions {
  /** Repository root (holds `spec/`, `src/model/`, `tsconfig.json`). */
  readonly root: string;
  /** Output directory; the generated parts of it are replaced. */
  readonly outDir: string;
  /** Build the TypeDoc API reference of `src/model` (default: true). */
  readonly api?: boolean;
  /** Chromium executable for diagrams (default: {@link defaultChromium}). */
  readonly chromium?: string;
  /** Progress lines (default: silent). */
  readonly log?: (line: string) => void;
}

export type SiteProblemCode =
  | 'Docs.DIAGRAM_FAILED'
  | 'Docs.NO_BROWSER'
  | 'Docs.BROKEN_LINK'
  | 'Docs.API_FAILED'
  | 'Docs.NO_CHAPTERS';

export interface SiteProblem {
  readonly code: SiteProblemCode;
  /** Names the chapter file and line where there is one: `spec/consensus.md:42: ...`. */
  readonly message: string;
}

/** Thrown (as a rejection of {@link buildSite}) when the site cannot be built correctly. */
export class SiteBuildError extends Error {
  readonly code = 'Docs.BUILD_FAILED';
  constructor(readonly problems: readonly SiteProblem[]) {
    super(
      `site build failed with ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  ${p.code}: ${p.message}`).join('\n'),
    );
    this.name = 'SiteBuildError';
  }
}

export interface SiteChapterReport {
  readonly name: string;
  readonly source: string;
  readonly page: string;
  readonly title: string;
  readonly requirements: number;
  readonly diagrams: number;
}

export interface SiteReport {
  readonly outDir: string;
  readonly chapters: readonly SiteChapterReport[];
  /** Every HTML page written, relative to `outDir`, `/`-separated. */
  readonly pages: readonly string[];
  readonly diagrams: number;
  readonly requirements: number;
  readonly apiPages: number;
  /** Links from requirements in the chapters to model symbols in the API reference. */
  readonly specToApiLinks: number;
  /** Requirement IDs in the API reference turned into links to the chapters. */
  readonly apiToSpecLinks: number;
  readonly trace: TraceSummary & { readonly ok: boolean };
  /** Not build failures: dangling or duplicate requirement IDs (shown on the trace page). */
  readonly warnings: readonly string[];
  readonly timingsMs: {
    readonly trace: number;
    readonly diagrams: number;
    readonly api: number;
    readonly pages: number;
    readonly total: number;
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const toPosix = (p: string): string => p.split(path.sep).join('/');

/** The relative prefix from a page at `page` (site-relative) back to the site root. */
const rootPrefix = (page: string): string => '../'.repeat(page.split('/').length - 1);

const writeOut = async (file: string, text: string | Uint8Array): Promise<void> => {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
};

const listFiles = async (dir: string): Promise<string[]> => {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules' || e.name === 'dist') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
};

const firstLines = (s: string, n: number): string => s.split('\n').slice(0, n).join(' ').replace(/\s+/g, ' ').trim();

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const ID = '[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\\.[0-9]+';
const ID_IN_TEXT = new RegExp(`(\\[)?(?<![A-Za-z0-9_.-])(${ID})(?![A-Za-z0-9_]|\\.[0-9])(\\])?`, 'g');
const ID_EXACT = new RegExp(`^${ID}$`);

const slugify = (text: string): string =>
  text
    .replace(/<[^>]+>/g, '')
    .replace(/&[a-z]+;|&#[0-9]+;/g, '')
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s+/g, '-') || 'section';

// ---------------------------------------------------------------------------------------------
// Requirement links inside HTML

interface LinkifyResult {
  readonly html: string;
  readonly count: number;
}

/**
 * Turns requirement IDs in the text of an HTML fragment into links (`[ID]`, a bare ID, or
 * `<code>ID</code>`), leaving tags, attributes and the inside of `skip` elements alone. IDs no
 * chapter defines are marked as dangling.
 */
const linkifyIds = (
  html: string,
  hrefFor: (id: string) => string | undefined,
  skip: ReadonlySet<string>,
  codeHref?: (text: string) => string | undefined,
): LinkifyResult => {
  const parts = html.split(/(<!--[\s\S]*?-->|<\/?[a-zA-Z][^>]*>)/);
  const depth = new Map<string, number>();
  let skipping = 0;
  let count = 0;
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (i % 2 === 1) {
      // <code>ID</code> outside links becomes a link around the code.
      if (part === '<code>' && skipping === 0 && ID_EXACT.test(parts[i + 1] ?? '') && parts[i + 2] === '</code>') {
        const id = parts[i + 1] ?? '';
        const href = hrefFor(id);
        if (href !== undefined) {
          out.push(`<a class="req-ref" href="${escapeHtml(href)}"><code>${id}</code></a>`);
          count++;
          i += 2;
          continue;
        }
      }
      // <code>path/of/a/file.ts</code> becomes a link to that file's page.
      if (part === '<code>' && skipping === 0 && codeHref !== undefined && parts[i + 2] === '</code>') {
        const text = parts[i + 1] ?? '';
        const href = /^[\w.@-]+(?:\/[\w.@-]+)+$/.test(text) ? codeHref(text) : undefined;
        if (href !== undefined) {
          out.push(`<a class="file-ref" href="${escapeHtml(href)}"><code>${text}</code></a>`);
          i += 2;
          continue;
        }
      }
      const m = /^<(\/)?([a-zA-Z][a-zA-Z0-9-]*)/.exec(part);
      const name = m?.[2]?.toLowerCase();
      if (name !== undefined && skip.has(name) && !part.endsWith('/>')) {
        const d = depth.get(name) ?? 0;
        const next = m?.[1] === '/' ? Math.max(0, d - 1) : d + 1;
        depth.set(name, next);
        skipping += next - d;
      }
      out.push(part);
      continue;
    }
    if (skipping > 0 || part === '') {
      out.push(part);
      continue;
    }
    out.push(
      part.replace(ID_IN_TEXT, (_whole, open: string | undefined, id: string, close: string | undefined) => {
        const href = hrefFor(id);
        const pre = open !== undefined && close === undefined ? open : '';
        const post = close !== undefined && open === undefined ? close : '';
        const shown = open !== undefined && close !== undefined ? `[${id}]` : id;
        if (href === undefined) {
          return `${pre}<span class="req-dangling" title="no chapter defines this requirement">${shown}</span>${post}`;
        }
        count++;
        return `${pre}<a class="req-ref" href="${escapeHtml(href)}">${shown}</a>${post}`;
      }),
    );
  }
  return { html: out.join(''), count };
};

const CHAPTER_SKIP = new Set(['a', 'pre', 'code', 'svg', 'script', 'style', 'title', 'textarea']);
const SOURCE_SKIP = new Set(['a', 'script', 'style', 'title']);
const API_SKIP = new Set(['a', 'pre', 'code', 'svg', 'script', 'style', 'title', 'textarea', 'head']);

// ---------------------------------------------------------------------------------------------
// Diagrams

interface Diagram {
  readonly index: number; // site-wide
  readonly chapter: string;
  readonly file: string;
  readonly line: number;
  readonly definition: string;
  svg?: string;
  error?: string;
}

const MERMAID_OPEN = /^(\s*)(`{3,}|~{3,})\s*mermaid\s*$/;
const ANY_FENCE = /^\s*(`{3,}|~{3,})/;

/** Replaces mermaid fences by placeholders, keeping every other fence as it is. */
const extractDiagrams = (
  file: string,
  chapter: string,
  markdown: string,
  firstIndex: number,
): { readonly markdown: string; readonly diagrams: Diagram[] } => {
  const lines = markdown.split(/\r?\n/);
  const out: string[] = [];
  const diagrams: Diagram[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const open = MERMAID_OPEN.exec(line);
    const other = open === null ? ANY_FENCE.exec(line) : null;
    if (open !== null) {
      const indent = open[1] ?? '';
      const fence = open[2] ?? '```';
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const l = lines[j] ?? '';
        const t = l.trim();
        if (t.length >= fence.length && t[0] === fence[0] && /^(`+|~+)$/.test(t)) break;
        body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart());
      }
      const index = firstIndex + diagrams.length;
      diagrams.push({ index, chapter, file, line: i + 1, definition: body.join('\n') });
      out.push(`${indent}<div class="diagram" data-diagram="${index}"></div>`, '');
      i = j;
      continue;
    }
    out.push(line);
    if (other !== null) {
      // copy an ordinary fenced block verbatim
      const fence = other[1] ?? '```';
      for (let j = i + 1; j < lines.length; j++) {
        const l = lines[j] ?? '';
        out.push(l);
        const t = l.trim();
        i = j;
        if (t.length >= fence.length && t[0] === fence[0] && /^(`+|~+)$/.test(t)) break;
      }
    }
  }
  return { markdown: out.join('\n'), diagrams };
};

const renderDiagrams = async (diagrams: readonly Diagram[], chromium: string, problems: SiteProblem[]): Promise<void> => {
  if (diagrams.length === 0) return;
  if (!existsSync(chromium)) {
    const first = diagrams[0];
    problems.push({
      code: 'Docs.NO_BROWSER',
      message: `${first?.file}:${first?.line}: ${diagrams.length} mermaid diagram(s) need Chromium, not found at ${chromium} (set PUPPETEER_EXECUTABLE_PATH)`,
    });
    return;
  }
  const { renderMermaid } = await import('@mermaid-js/mermaid-cli');
  const puppeteer = (await import('puppeteer')).default;
  let browser: import('puppeteer').Browser;
  try {
    browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: [...CHROMIUM_ARGS] });
  } catch (e) {
    problems.push({ code: 'Docs.NO_BROWSER', message: `Chromium at ${chromium} did not start: ${firstLines(errorText(e), 3)}` });
    return;
  }
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const d = diagrams[next++];
        if (d === undefined) return;
        try {
          const { data } = await renderMermaid(browser, d.definition, 'svg', {
            svgId: `mermaid-${d.chapter}-${d.index}`,
            backgroundColor: 'transparent',
            mermaidConfig: { theme: 'neutral' },
          });
          const svg = new TextDecoder().decode(data).replace(/^<\?xml[^>]*>\s*/, '');
          if (!svg.includes('<svg')) throw new Error('renderer returned no SVG');
          d.svg = svg;
        } catch (e) {
          // Mermaid counts lines from the first line of the diagram, the fence is the line before.
          const text = errorText(e);
          const inner = Number(/Parse error on line (\d+)/.exec(text)?.[1] ?? 0);
          const at = inner > 0 ? `${d.file}:${d.line + inner}` : `${d.file}:${d.line}`;
          d.error = `${at}: ${firstLines(text, 3)}`;
          problems.push({
            code: 'Docs.DIAGRAM_FAILED',
            message: `${at}: mermaid diagram (fence at line ${d.line}) in chapter ${d.chapter} failed to render: ${firstLines(text, 3)}`,
          });
        }
      }
    };
    await Promise.all([worker(), worker()]);
  } finally {
    await browser.close();
  }
};

// ---------------------------------------------------------------------------------------------
// API reference (TypeDoc)

/** Placeholder scheme for TypeDoc's source links, replaced by links to `source/` pages. */
const SOURCE_LINK = 'pharos-source:';

interface ApiSymbol {
  /** Qualified name inside its module: `encodeHex`, `Failure.code`; a module's own entry uses its module name. */
  readonly name: string;
  /** Repository-relative source file. */
  readonly file: string;
  /** URL relative to the API root, possibly with a `#fragment`. */
  readonly url: string;
  readonly isModule: boolean;
  /** Requirement IDs from the symbol's own `@spec` tags. */
  readonly specIds: readonly string[];
}

interface ApiResult {
  readonly symbols: readonly ApiSymbol[];
  readonly pages: readonly string[];
  /** Repository-relative directory TypeDoc's source paths are relative to (common directory of the entry points). */
  readonly sourceBase: string;
}

/** The deepest directory holding all `files` (TypeDoc's base for source paths and module names). */
const commonDirectory = (files: readonly string[]): string => {
  const dirs = files.map((f) => path.dirname(f).split(path.sep));
  const first = dirs[0] ?? [];
  let n = first.length;
  for (const d of dirs) {
    let k = 0;
    while (k < n && k < d.length && d[k] === first[k]) k++;
    n = k;
  }
  return first.slice(0, n).join(path.sep);
};

const buildApi = async (
  root: string,
  apiDir: string,
  problems: SiteProblem[],
  warnings: string[],
): Promise<ApiResult> => {
  const modelDir = path.join(root, 'src', 'model');
  const sources = (await listFiles(modelDir)).filter((f) => /\.ts$/.test(f) && !/\.(test|spec)\.ts$|\.d\.ts$/.test(f));
  if (sources.length === 0) return { symbols: [], pages: [], sourceBase: '' };
  const sourceBase = toPosix(path.relative(root, commonDirectory(sources)));

  const td = await import('typedoc');
  const messages: string[] = [];
  class CollectingLogger extends td.ConsoleLogger {
    override log(message: string, level: Exclude<import('typedoc').LogLevel, import('typedoc').LogLevel.None>): void {
      const plain = message.replace(/\u001b\[[0-9;]*m/g, '');
      if (level >= td.LogLevel.Warn) messages.push(plain);
    }
  }
  const app = await td.Application.bootstrapWithPlugins(
    {
      entryPoints: [modelDir],
      entryPointStrategy: 'expand',
      exclude: ['**/*.test.ts', '**/*.spec.ts'],
      tsconfig: path.join(root, 'tsconfig.json'),
      name: 'Pharos model API',
      readme: 'none',
      blockTags: [...td.OptionDefaults.blockTags, '@spec'],
      excludePrivate: true,
      excludeInternal: true,
      hideGenerator: true,
      githubPages: false,
      // "Defined in" links point at the site's own line-numbered source pages (rewritten below),
      // not at a forge: the site must work offline and from any checkout.
      disableGit: true,
      sourceLinkTemplate: `${SOURCE_LINK}{path}#L{line}`,
      cleanOutputDir: true,
      // Type errors are the compiler's job (`npm run build` runs first); TypeDoc checks the whole
      // program, and an error elsewhere must not hide the model's reference.
      skipErrorChecking: true,
      sort: ['source-order'],
      // Warnings are build errors (checked below), except the one `outside` describes.
      validation: {
        notExported: true,
        invalidLink: true,
        invalidPath: true,
        rewrittenLink: true,
        notDocumented: false,
        unusedMergeModuleWith: true,
      },
      logLevel: 'Warn',
    },
    [new td.TSConfigReader()],
  );
  app.logger = new CollectingLogger();
  app.logger.level = td.LogLevel.Warn;

  const symbols: ApiSymbol[] = [];
  app.renderer.on(td.RendererEvent.END, (event) => {
    const router = app.renderer.router;
    if (router === undefined) return;
    for (const refl of Object.values(event.project.reflections)) {
      // Re-exports are references to the declaration's own entry; skip them.
      if (!(refl instanceof td.DeclarationReflection) || refl.kindOf(td.ReflectionKind.Reference) || !router.hasUrl(refl)) continue;
      const file = refl.sources?.[0]?.fullFileName;
      if (file === undefined) continue;
      const isModule = refl.kindOf(td.ReflectionKind.Module);
      const names: string[] = [];
      for (let r: import('typedoc').Reflection | undefined = refl; r !== undefined; r = r.parent) {
        if (r.kindOf(td.ReflectionKind.Project) || (r.kindOf(td.ReflectionKind.Module) && r !== refl)) break;
        names.unshift(r.name);
      }
      const comments = [refl.comment, ...(refl.signatures ?? []).map((s) => s.comment)];
      const specIds = comments.flatMap((c) =>
        (c?.blockTags ?? [])
          .filter((t) => t.tag === '@spec')
          .flatMap((t) => t.content.map((p) => p.text).join('').match(new RegExp(ID, 'g')) ?? []),
      );
      symbols.push({
        name: names.join('.'),
        file: toPosix(path.relative(root, file)),
        url: router.getFullUrl(refl),
        isModule,
        specIds: [...new Set(specIds)],
      });
    }
  });

  const project = await app.convert();
  if (project === undefined) {
    problems.push({ code: 'Docs.API_FAILED', message: `TypeDoc could not convert src/model:\n${messages.join('\n')}` });
    return { symbols: [], pages: [], sourceBase };
  }
  app.validate(project);
  await app.generateDocs(project, apiDir);
  // Warnings are errors, except a model type referring to a type outside src/model: the reference
  // still reads fine, the referenced type just has no page of its own. Those are site warnings.
  const outside = (m: string): boolean => /is referenced by .* but not included in the documentation/.test(m);
  warnings.push(...messages.filter(outside).map((m) => `API reference: ${m.replace(/^\[warning\]\s*/, '')}`));
  const fatal = messages.filter((m) => !outside(m));
  if (fatal.length > 0) {
    problems.push({
      code: 'Docs.API_FAILED',
      message: `TypeDoc reported problems (warnings are errors here):\n${fatal.map((m) => `    ${m}`).join('\n')}`,
    });
  }
  const pages = (await listFiles(apiDir)).filter((f) => f.endsWith('.html')).map((f) => toPosix(path.relative(apiDir, f)));
  return { symbols, pages, sourceBase };
};

// ---------------------------------------------------------------------------------------------
// Page layout

const STYLE = `
:root { --fg:#1f2328; --muted:#59636e; --bg:#fff; --side:#f6f8fa; --border:#d8dee4; --accent:#0a58b0;
  --req:#8a4600; --code-bg:#f3f4f6; --hl:#fff5c2; }
* { box-sizing: border-box; }
html { scroll-padding-top: 1rem; }
body { margin: 0; font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg); background: var(--bg); }
.layout { display: flex; min-height: 100vh;
  background: linear-gradient(90deg, var(--side) 0 calc(17rem - 1px), var(--border) calc(17rem - 1px) 17rem, var(--bg) 17rem); }
.sidebar { width: 17rem; flex: none; background: var(--side); border-right: 1px solid var(--border);
  padding: 1.25rem .9rem; position: sticky; top: 0; height: 100vh; overflow-y: auto; font-size: .92rem; }
.brand { display: block; font-weight: 700; font-size: 1.05rem; color: var(--fg); text-decoration: none;
  margin: 0 .5rem 1rem; }
.brand small { display: block; font-weight: 400; color: var(--muted); font-size: .78rem; }
.sidebar h2 { font-size: .72rem; text-transform: uppercase; letter-spacing: .07em; color: var(--muted);
  margin: 1.3rem .5rem .4rem; border: 0; padding: 0; }
.sidebar ul { list-style: none; margin: 0; padding: 0; }
.sidebar a { display: block; padding: .18rem .5rem; border-radius: 5px; color: var(--fg); text-decoration: none; }
.sidebar a:hover { background: #e8ecf0; }
.sidebar li.current > a { background: #dbe7f5; font-weight: 600; }
.sidebar .toc { margin: .15rem 0 .5rem .8rem; border-left: 2px solid var(--border); }
.sidebar .toc a { color: var(--muted); font-size: .84rem; padding: .08rem .6rem; }
main { flex: 1; min-width: 0; padding: 2.2rem 3rem 4rem; }
.content { max-width: 54rem; }
h1, h2, h3, h4, h5, h6 { line-height: 1.25; margin: 1.8em 0 .6em; position: relative; }
h1 { font-size: 2rem; margin-top: 0; padding-bottom: .3em; border-bottom: 1px solid var(--border); }
h2 { font-size: 1.45rem; padding-bottom: .25em; border-bottom: 1px solid var(--border); }
h3 { font-size: 1.17rem; }
.anchor { position: absolute; left: -1.1em; color: var(--muted); text-decoration: none; font-weight: 400;
  visibility: hidden; }
h1:hover .anchor, h2:hover .anchor, h3:hover .anchor, h4:hover .anchor { visibility: visible; }
a { color: var(--accent); }
code { font: .87em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  background: var(--code-bg); padding: .1em .32em; border-radius: 4px; }
pre { background: var(--code-bg); padding: .85rem 1rem; overflow-x: auto; border-radius: 6px; border: 1px solid #e6e8eb; }
pre code { background: none; padding: 0; font-size: .84rem; }
table { border-collapse: collapse; margin: 1rem 0; display: block; overflow-x: auto; }
th, td { border: 1px solid var(--border); padding: .38rem .7rem; vertical-align: top; text-align: left; }
th { background: var(--side); }
blockquote { margin: 1rem 0; padding: .1rem 1rem; border-left: 4px solid var(--border); color: var(--muted); }
hr { border: 0; border-top: 1px solid var(--border); margin: 2rem 0; }
.req-id { font: 600 .82em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: nowrap; }
.req-id a { color: var(--req); text-decoration: none; }
.req-id a:hover { text-decoration: underline; }
p:has(> .req-id:target), li:has(> .req-id:target), td:has(> .req-id:target), :target { background: var(--hl); }
.req-meta { font-size: .72rem; margin: 0 .35em 0 .2em; white-space: nowrap; }
.req-meta a { text-decoration: none; border: 1px solid var(--border); border-radius: 999px; padding: 0 .5em;
  margin-right: .2em; color: var(--muted); background: #fff; }
.req-meta a:hover { border-color: var(--accent); }
.req-meta a.req-sym { color: var(--accent); }
.req-meta a.req-sym code { background: none; padding: 0; font-size: 1em; }
.req-meta a.req-uncovered { color: #8a5a00; border-color: #e9c46a; }
.req-ref { text-decoration: none; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
a.req-ref code, a.file-ref code { color: var(--accent); }
a.file-ref { text-decoration: none; }
.req-dangling { color: #b42318; text-decoration: underline wavy; }
.diagram { margin: 1.3rem 0; padding: 1rem; border: 1px solid var(--border); border-radius: 8px; background: #fff;
  overflow-x: auto; text-align: center; }
.diagram svg { max-width: 100%; height: auto; }
.diagram-error { text-align: left; border-color: #f3c1bd; background: #fdeceb; }
.diagram-error figcaption { color: #b42318; font-size: .85rem; margin-bottom: .5rem; }
footer { margin-top: 4rem; color: var(--muted); font-size: .8rem; border-top: 1px solid var(--border); padding-top: 1rem; }
.summary { padding: .6rem 1rem; border-radius: 6px; background: #edf7ee; border: 1px solid #b9dfbc; }
.summary.fail { background: #fdeceb; border-color: #f3c1bd; }
.content.trace, .content.wide { max-width: 80rem; }
.trace table { display: block; overflow-x: auto; font-size: .84rem; }
.trace td.num { text-align: center; white-space: nowrap; }
.trace tr.chapter-row th { background: #eaf0f6; font-size: .92rem; }
.trace .statement { display: block; color: var(--muted); font-size: .78rem; max-width: 28rem; }
.trace details summary { cursor: pointer; }
.trace details ul { margin: .3rem 0 0; padding-left: 1rem; text-align: left; white-space: nowrap; }
.trace .none { color: #b0b7bf; }
.trace .uncovered-row td:first-child { border-left: 3px solid #e9c46a; }
pre.source { font-size: .8rem; line-height: 1.45; padding: .6rem 0; }
.source .line { display: block; padding-right: 1rem; }
.source .ln { display: inline-block; width: 4em; margin-right: 1em; text-align: right; color: #8c959f;
  text-decoration: none; user-select: none; }
.listing li { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
@media (max-width: 900px) {
  .layout { display: block; background: none; }
  .sidebar { position: static; width: auto; height: auto; border-right: 0; border-bottom: 1px solid var(--border); }
  main { padding: 1.5rem; }
}
`;

interface NavInfo {
  readonly chapters: readonly Chapter[];
  readonly hasApi: boolean;
}

interface TocEntry {
  readonly depth: number;
  readonly slug: string;
  readonly text: string;
}

const layout = (args: {
  readonly page: string; // site-relative
  readonly title: string;
  readonly nav: NavInfo;
  readonly current?: string; // chapter name, or 'trace'
  readonly toc?: readonly TocEntry[];
  readonly body: string;
  readonly footer?: string;
  readonly wide?: boolean;
}): string => {
  const up = rootPrefix(args.page);
  const chapterItems = args.nav.chapters
    .map((c) => {
      const isCurrent = c.name === args.current;
      const toc =
        isCurrent && args.toc !== undefined && args.toc.length > 0
          ? `<ul class="toc">${args.toc
              .map((t) => `<li><a href="#${escapeHtml(t.slug)}">${escapeHtml(t.text)}</a></li>`)
              .join('')}</ul>`
          : '';
      return `<li${isCurrent ? ' class="current"' : ''}><a href="${up}spec/${c.name}.html">${escapeHtml(c.title)}</a>${toc}</li>`;
    })
    .join('\n');
  const extras = [
    `<li${args.current === 'trace' ? ' class="current"' : ''}><a href="${up}spec/trace.html">Traceability matrix</a></li>`,
    args.nav.hasApi ? `<li><a href="${up}api/index.html">Model API reference</a></li>` : '',
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(args.title)} · Pharos specification</title>
<link rel="stylesheet" href="${up}style.css">
</head>
<body>
<div class="layout">
<nav class="sidebar" aria-label="Chapters">
<a class="brand" href="${up}spec/index.html">Pharos specification<small>executable protocol spec</small></a>
<h2>Chapters</h2>
<ul class="chapters">
${chapterItems}
</ul>
<h2>Reference</h2>
<ul class="extras">
${extras}
</ul>
</nav>
<main>
<article class="content${args.current === 'trace' ? ' trace' : ''}${args.wide === true ? ' wide' : ''}">
${args.body}
</article>
${args.footer === undefined ? '' : `<footer>${args.footer}</footer>`}
</main>
</div>
</body>
</html>
`;
};

// ---------------------------------------------------------------------------------------------
// Source pages (line-numbered views of files cited by the matrix or linked from a chapter)

/** Larger files are linked as they are rather than rendered as a page. */
const MAX_SOURCE_PAGE = 1_000_000;
const fileSize = (p: string): number => {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
};

const BINARY = /\.(?:png|jpe?g|gif|webp|ico|pdf|svg|woff2?|wasm|bin|gz|zip)$/i;

class SourcePages {
  private readonly files = new Set<string>();
  private readonly dirs = new Set<string>();
  private readonly raw = new Set<string>();
  constructor(private readonly root: string) {}

  /** Site-relative href for a repository file, registering the page to generate. */
  file(repoPath: string): string {
    if (BINARY.test(repoPath) || fileSize(path.join(this.root, repoPath)) > MAX_SOURCE_PAGE) {
      this.raw.add(repoPath);
      return `files/${repoPath}`;
    }
    this.files.add(repoPath);
    return `source/${repoPath}.html`;
  }

  dir(repoPath: string): string {
    this.dirs.add(repoPath);
    return `source/${repoPath}/index.html`;
  }

  /** Writes the pages; `specHref(id, page)` links requirement IDs in the text (site-relative page). */
  async write(outDir: string, nav: NavInfo, specHref: (id: string, page: string) => string | undefined): Promise<string[]> {
    const pages: string[] = [];
    for (const d of [...this.dirs].sort()) {
      const files = (await listFiles(path.join(this.root, d))).map((f) => toPosix(path.relative(this.root, f))).slice(0, 500);
      const page = `source/${d}/index.html`;
      const up = rootPrefix(page);
      const items = files.map((f) => `<li><a href="${up}${escapeHtml(this.file(f))}">${escapeHtml(f.slice(d.length + 1))}</a></li>`);
      const body = `<h1><code>${escapeHtml(d)}/</code></h1>\n<ul class="listing">\n${items.join('\n')}\n</ul>`;
      await writeOut(path.join(outDir, page), layout({ page, title: `${d}/`, nav, body }));
      pages.push(page);
    }
    for (const f of [...this.files].sort()) {
      const page = `source/${f}.html`;
      let text: string;
      try {
        text = await readFile(path.join(this.root, f), 'utf8');
      } catch {
        continue;
      }
      const lines = text.replace(/\n$/, '').split('\n');
      const rows = lines
        .map((l, i) => `<span class="line" id="L${i + 1}"><a class="ln" href="#L${i + 1}">${i + 1}</a>${escapeHtml(l)}</span>`)
        .join('');
      const linked = linkifyIds(rows, (id) => specHref(id, page), SOURCE_SKIP).html;
      const body = `<h1><code>${escapeHtml(f)}</code></h1>\n<pre class="source"><code>${linked}</code></pre>`;
      await writeOut(path.join(outDir, page), layout({ page, title: f, nav, body, wide: true }));
      pages.push(page);
    }
    for (const f of this.raw) {
      await mkdir(path.dirname(path.join(outDir, 'files', f)), { recursive: true });
      await copyFile(path.join(this.root, f), path.join(outDir, 'files', f));
    }
    return pages;
  }
}

// ---------------------------------------------------------------------------------------------
// Chapters

interface RenderedChapter {
  readonly chapter: Chapter;
  readonly html: string;
  readonly toc: readonly TocEntry[];
  readonly ids: ReadonlySet<string>;
  readonly diagrams: number;
  readonly requirements: number;
}

interface FragmentCheck {
  readonly from: string; // chapter file
  readonly line: number;
  readonly chapter: string; // target chapter name
  readonly fragment: string;
}

interface ChapterContext {
  readonly root: string;
  readonly byId: ReadonlyMap<string, RequirementTrace>;
  readonly apiHref: (c: Citation) => string | undefined; // site-relative
  readonly apiModuleHref: (file: string) => string | undefined; // site-relative
  readonly apiBySpec: ReadonlyMap<string, readonly ApiSymbol[]>;
  readonly sources: SourcePages;
  readonly problems: SiteProblem[];
  readonly fragments: FragmentCheck[];
  readonly chapterNames: ReadonlySet<string>;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** The small links after a requirement's ID: model symbols in the API, and its trace row. */
const requirementMeta = (r: RequirementTrace, ctx: ChapterContext, up: string): { html: string; links: number } => {
  const seen = new Set<string>();
  const links: string[] = [];
  const add = (href: string | undefined, name: string, title: string): void => {
    const key = href ?? `name:${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    links.push(
      href === undefined
        ? `<a class="req-sym" href="${up}spec/trace.html#${r.id}" title="${escapeHtml(title)}"><code>${escapeHtml(name)}</code></a>`
        : `<a class="req-sym" href="${up}${escapeHtml(href)}" title="${escapeHtml(title)}"><code>${escapeHtml(name)}</code></a>`,
    );
  };
  let apiLinks = 0;
  for (const c of r.citations.model) {
    const href = ctx.apiHref(c);
    if (href !== undefined) apiLinks++;
    add(href, c.symbol ?? path.posix.basename(c.file), `model: ${c.file}:${c.line}`);
  }
  for (const s of ctx.apiBySpec.get(r.id) ?? []) {
    const href = `api/${s.url}`;
    if (!seen.has(href)) apiLinks++;
    add(href, s.name, `model: ${s.file}`);
  }
  const counts: string[] = [];
  const c = r.citations;
  if (c.impl.length > 0) counts.push(plural(c.impl.length, 'impl', 'impl'));
  if (c.test.length > 0) counts.push(plural(c.test.length, 'test', 'tests'));
  const cases = new Set(c.vector.map((v) => `${v.file}#${v.caseId ?? v.line}`)).size;
  if (cases > 0) counts.push(plural(cases, 'vector', 'vectors'));
  if (c.tla.length > 0) counts.push('TLA+');
  if (c.conformance.length > 0) counts.push(plural(c.conformance.length, 'conformance', 'conformance'));
  const traceLink = r.covered
    ? counts.length > 0
      ? `<a class="req-trace" href="${up}spec/trace.html#${r.id}" title="traceability">${counts.join(' · ')}</a>`
      : ''
    : `<a class="req-trace req-uncovered" href="${up}spec/trace.html#${r.id}" title="no model, test, vector or TLA+ cites this yet">uncovered</a>`;
  const all = [...links, traceLink].filter((x) => x !== '');
  return { html: all.length === 0 ? '' : `<span class="req-meta">${all.join('')}</span>`, links: apiLinks };
};

const renderChapter = async (
  chapter: Chapter,
  original: string,
  markdown: string,
  diagrams: readonly Diagram[],
  ctx: ChapterContext,
): Promise<RenderedChapter & { readonly specToApi: number }> => {
  const page = `spec/${chapter.name}.html`;
  const up = rootPrefix(page);
  // Lines are reported in the chapter as written (`markdown` has its diagrams taken out).
  const sourceLines = original.split(/\r?\n/);
  const lineOfLink = (href: string): number => {
    const i = sourceLines.findIndex((l) => l.includes(`](${href}`) || l.includes(`]: ${href}`) || l.includes(`(<${href}>`));
    return i + 1;
  };
  const slugs = new Map<string, number>();
  const toc: TocEntry[] = [];
  const ids = new Set<string>();

  const rewriteHref = (href: string): string => {
    if (href.startsWith('#')) {
      ctx.fragments.push({ from: chapter.file, line: lineOfLink(href), chapter: chapter.name, fragment: decodeURIComponent(href.slice(1)) });
      return href;
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) return href;
    const hashAt = href.indexOf('#');
    const target = hashAt < 0 ? href : href.slice(0, hashAt);
    const fragment = hashAt < 0 ? '' : href.slice(hashAt);
    const where = `${chapter.file}:${lineOfLink(href)}`;
    if (target.startsWith('/')) {
      ctx.problems.push({ code: 'Docs.BROKEN_LINK', message: `${where}: absolute link ${href}; use a relative link` });
      return href;
    }
    let decoded: string;
    try {
      decoded = decodeURI(target);
    } catch {
      decoded = target;
    }
    const repoPath = path.posix.normalize(path.posix.join('spec', decoded)).replace(/\/$/, '');
    if (repoPath === '..' || repoPath.startsWith('../')) {
      ctx.problems.push({ code: 'Docs.BROKEN_LINK', message: `${where}: link ${href} leaves the repository` });
      return href;
    }
    const md = /^spec\/([^/]+)\.md$/.exec(repoPath);
    if (md?.[1] !== undefined && ctx.chapterNames.has(md[1])) {
      if (fragment.length > 1) {
        ctx.fragments.push({ from: chapter.file, line: lineOfLink(href), chapter: md[1], fragment: decodeURIComponent(fragment.slice(1)) });
      }
      return `${md[1]}.html${fragment}`;
    }
    if (repoPath === 'spec') return `index.html${fragment}`;
    const abs = path.join(ctx.root, repoPath);
    if (!existsSync(abs)) {
      ctx.problems.push({ code: 'Docs.BROKEN_LINK', message: `${where}: link target ${href} does not exist` });
      return href;
    }
    return `${up}${isDirectory(abs) ? ctx.sources.dir(repoPath) : ctx.sources.file(repoPath)}${fragment}`;
  };

  const marked = new Marked({
    gfm: true,
    renderer: {
      heading({ tokens, depth }) {
        const inner = this.parser.parseInline(tokens);
        const base = slugify(inner);
        const n = slugs.get(base) ?? 0;
        slugs.set(base, n + 1);
        const slug = n === 0 ? base : `${base}-${n}`;
        ids.add(slug);
        const text = inner.replace(/<[^>]+>/g, '').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
        if (depth === 2 || depth === 3) toc.push({ depth, slug, text });
        return `<h${depth} id="${escapeHtml(slug)}"><a class="anchor" href="#${escapeHtml(slug)}" aria-hidden="true">#</a>${inner}</h${depth}>\n`;
      },
      link({ href, title, tokens }) {
        const inner = this.parser.parseInline(tokens);
        const t = title === null || title === undefined ? '' : ` title="${escapeHtml(title)}"`;
        return `<a href="${escapeHtml(rewriteHref(href))}"${t}>${inner}</a>`;
      },
      image({ href, title, text }) {
        const t = title === null || title === undefined ? '' : ` title="${escapeHtml(title)}"`;
        return `<img src="${escapeHtml(rewriteHref(href))}" alt="${escapeHtml(text)}"${t}>`;
      },
    },
  });
  let html = await marked.parse(markdown, { async: true });

  // Requirement definitions: anchor + self link + links to the model and the matrix.
  let requirements = 0;
  let specToApi = 0;
  const defined = new Set<string>();
  html = html.replace(new RegExp(`<strong>\\[(${ID})\\]</strong>`, 'g'), (whole, id: string) => {
    const r = ctx.byId.get(id);
    if (r === undefined) return whole;
    if (r.file !== chapter.file || defined.has(id)) {
      return `<strong class="req-id req-duplicate" title="also defined at ${escapeHtml(r.file)}:${r.line}">[${id}]</strong>`;
    }
    defined.add(id);
    ids.add(id);
    requirements++;
    const meta = requirementMeta(r, ctx, up);
    specToApi += meta.links;
    return `<strong class="req-id" id="${id}"><a href="#${id}" title="${escapeHtml(r.text)}">[${id}]</a></strong>${meta.html}`;
  });

  // Every other mention of an ID links to its definition.
  const hrefFor = (id: string): string | undefined => {
    const r = ctx.byId.get(id);
    if (r === undefined) return undefined;
    const target = path.posix.basename(r.file, '.md');
    return target === chapter.name ? `#${id}` : `${target}.html#${id}`;
  };
  // Inline code naming a repository file links to it: a model module to its API page, any other
  // file to its source page.
  const codeHref = (text: string): string | undefined => {
    const repoPath = path.posix.normalize(text);
    if (repoPath.startsWith('..') || !isFile(path.join(ctx.root, repoPath))) return undefined;
    const api = ctx.apiModuleHref(repoPath);
    return `${up}${api ?? ctx.sources.file(repoPath)}`;
  };
  html = linkifyIds(html, hrefFor, CHAPTER_SKIP, codeHref).html;

  // Diagrams.
  html = html.replace(/<div class="diagram" data-diagram="(\d+)"><\/div>/g, (whole, n: string) => {
    const d = diagrams.find((x) => x.index === Number(n));
    if (d === undefined) return whole;
    if (d.svg === undefined) {
      // The build fails; the page written so far shows what failed.
      return `<figure class="diagram diagram-error" id="diagram-${d.index}"><figcaption>This diagram did not render: ${escapeHtml(d.error ?? 'no browser')}</figcaption><pre>${escapeHtml(d.definition)}</pre></figure>`;
    }
    return `<figure class="diagram" id="diagram-${d.index}" data-source-line="${d.line}">${d.svg}</figure>`;
  });

  return { chapter, html, toc, ids, diagrams: diagrams.length, requirements, specToApi };
};

/** Synchronous on purpose: marked's renderers, which rewrite links, are synchronous. */
const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

const isDirectory = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

// ---------------------------------------------------------------------------------------------
// Trace page

const KIND_LABEL: Record<CitationKind, string> = {
  model: 'Model',
  impl: 'Impl',
  test: 'Tests',
  conformance: 'Conformance',
  vector: 'Vectors',
  tla: 'TLA+',
};

const tracePage = (
  trace: TraceMatrix,
  ctx: ChapterContext,
  nav: NavInfo,
): string => {
  const page = 'spec/trace.html';
  const up = rootPrefix(page);
  const kinds: CitationKind[] = ['model', 'impl', 'test', 'vector', 'tla'];
  if (trace.requirements.some((r) => r.citations.conformance.length > 0)) kinds.push('conformance');
  const where = (c: { file: string; line: number }): string =>
    `<a href="${up}${escapeHtml(ctx.sources.file(c.file))}#L${c.line}">${escapeHtml(c.file)}:${c.line}</a>`;
  const cell = (r: RequirementTrace, k: CitationKind): string => {
    const cs = r.citations[k];
    if (cs.length === 0) return '<td class="num"><span class="none">–</span></td>';
    if (k === 'model') {
      const seen = new Set<string>();
      const items = cs
        .map((c) => {
          const name = c.symbol ?? path.posix.basename(c.file);
          const href = ctx.apiHref(c);
          const key = `${name}|${href ?? ''}`;
          if (seen.has(key)) return '';
          seen.add(key);
          return href === undefined
            ? `<code title="${escapeHtml(c.file)}:${c.line}">${escapeHtml(name)}</code>`
            : `<a href="${up}${escapeHtml(href)}" title="${escapeHtml(c.file)}:${c.line}"><code>${escapeHtml(name)}</code></a>`;
        })
        .filter((x) => x !== '');
      return `<td>${items.join('<br>')}</td>`;
    }
    const label =
      k === 'vector'
        ? String(new Set(cs.map((c) => `${c.file}#${c.caseId ?? c.line}`)).size)
        : k === 'tla'
          ? [...new Set(cs.map((c) => c.symbol ?? path.posix.basename(c.file)))].join(', ')
          : String(cs.length);
    const items = cs.map((c) => {
      const extra =
        k === 'vector'
          ? ` <span class="case">${escapeHtml(c.suite ?? '')}${c.caseId === undefined ? '' : ` / ${escapeHtml(c.caseId)}`}</span>`
          : c.symbol === undefined
            ? ''
            : ` <code>${escapeHtml(c.symbol)}</code>`;
      return `<li>${where(c)}${extra}</li>`;
    });
    return `<td class="num"><details><summary>${escapeHtml(label)}</summary><ul>${items.join('')}</ul></details></td>`;
  };
  const rows: string[] = [];
  let chapter: string | undefined;
  for (const r of trace.requirements) {
    if (r.chapter !== chapter) {
      chapter = r.chapter;
      const title = trace.chapters.find((c) => c.name === chapter)?.title ?? chapter;
      rows.push(`<tr class="chapter-row"><th colspan="${kinds.length + 1}"><a href="${r.chapter}.html">${escapeHtml(title)}</a></th></tr>`);
    }
    rows.push(
      `<tr id="${r.id}"${r.covered ? '' : ' class="uncovered-row"'}><td><a class="req-ref" href="${r.chapter}.html#${r.id}">${r.id}</a>` +
        `<span class="statement">${escapeHtml(r.text)}</span></td>${kinds.map((k) => cell(r, k)).join('')}</tr>`,
    );
  }
  const sections: string[] = [];
  if (trace.uncovered.length > 0) {
    sections.push(
      `<h2 id="uncovered">Uncovered requirements</h2>\n<p>Defined, but no model symbol, test, vector or TLA+ module cites them yet (not an error).</p>\n<p>${trace.uncovered
        .map((id) => `<a class="req-ref" href="#${id}">${id}</a>`)
        .join(', ')}</p>`,
    );
  }
  if (trace.dangling.length > 0) {
    const items = trace.dangling.map((d) => {
      const loc = d.source === 'spec' ? `<a href="${d.chapter}.html">${escapeHtml(d.file)}:${d.line}</a>` : where(d);
      const what = d.source === 'spec' ? 'spec prose' : d.kind;
      return `<li>${loc} cites <span class="req-dangling">${escapeHtml(d.id)}</span> (${escapeHtml(what)})</li>`;
    });
    sections.push(`<h2 id="dangling">Dangling citations</h2>\n<p>These name requirements that no chapter defines.</p>\n<ul>${items.join('\n')}</ul>`);
  }
  if (trace.duplicates.length > 0) {
    const items = trace.duplicates.map(
      (d) => `<li><code>${escapeHtml(d.id)}</code>: ${d.definitions.map((l) => `${escapeHtml(l.file)}:${l.line}`).join(', ')}</li>`,
    );
    sections.push(`<h2 id="duplicates">Duplicate definitions</h2>\n<ul>${items.join('\n')}</ul>`);
  }
  const body = `<h1 id="traceability-matrix">Traceability matrix</h1>
<p class="summary${trace.ok ? '' : ' fail'}">${escapeHtml(formatTraceSummary(trace))}</p>
<p>Each requirement, with the model symbols that state it (linked to the API reference), and the
implementation sites, tests, test-vector cases and TLA+ definitions that cite it. Numbers open into
the exact citing lines.</p>
<table>
<thead><tr><th>Requirement</th>${kinds.map((k) => `<th>${KIND_LABEL[k]}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
${sections.join('\n')}`;
  return layout({ page, title: 'Traceability matrix', nav, current: 'trace', body });
};

// ---------------------------------------------------------------------------------------------
// API post-processing: requirement IDs become links to the chapters

const postProcessApi = async (
  apiDir: string,
  pages: readonly string[],
  byId: ReadonlyMap<string, RequirementTrace>,
  sources: SourcePages,
  sourceBase: string,
): Promise<number> => {
  let total = 0;
  for (const rel of pages) {
    const file = path.join(apiDir, rel);
    const html = await readFile(file, 'utf8');
    const up = rootPrefix(`api/${rel}`);
    const hrefFor = (id: string): string | undefined => {
      const r = byId.get(id);
      return r === undefined ? undefined : `${up}spec/${path.posix.basename(r.file, '.md')}.html#${id}`;
    };
    const sourced = html.replace(
      new RegExp(`href="${SOURCE_LINK}([^"#]+)#L(\\d+)"`, 'g'),
      (_m, file: string, line: string) =>
        `href="${up}${escapeHtml(sources.file(path.posix.join(sourceBase, file)))}#L${line}"`,
    );
    const linked = linkifyIds(sourced, hrefFor, API_SKIP);
    total += linked.count;
    // A way back to the specification from the toolbar.
    const withNav = linked.html.replace(
      /(<a [^>]*class="title"[^>]*>[\s\S]*?<\/a>)/,
      `$1<a class="title" href="${up}spec/index.html" style="margin-left:1.5rem;font-weight:400">Specification</a>`,
    );
    if (withNav !== html) await writeFile(file, withNav);
  }
  return total;
};

// ---------------------------------------------------------------------------------------------
// The build

/**
 * Builds the site of the repository at `root` into `outDir`. Rejects with a {@link SiteBuildError}
 * naming chapter and line when a diagram fails, a link is broken, or TypeDoc reports a problem.
 */
export const buildSite = async (options: SiteOptions): Promise<SiteReport> => {
  const t0 = performance.now();
  const root = path.resolve(options.root);
  const outDir = path.resolve(options.outDir);
  const log = options.log ?? ((): void => {});
  const wantApi = options.api ?? true;
  const problems: SiteProblem[] = [];
  const apiWarnings: string[] = [];

  const trace = await buildTraceMatrix(root);
  const tTrace = performance.now();
  if (trace.chapters.length === 0) {
    throw new SiteBuildError([{ code: 'Docs.NO_CHAPTERS', message: 'no spec/*.md chapters found' }]);
  }
  log(`trace: ${formatTraceSummary(trace)}`);

  for (const generated of ['spec', 'api', 'source', 'files', 'index.html', 'style.css']) {
    await rm(path.join(outDir, generated), { recursive: true, force: true });
  }
  await mkdir(outDir, { recursive: true });

  // Chapters: extract diagrams first.
  const sourcesByChapter = new Map<string, { original: string; markdown: string; diagrams: Diagram[] }>();
  const allDiagrams: Diagram[] = [];
  for (const c of trace.chapters) {
    const text = await readFile(path.join(root, c.file), 'utf8');
    const x = extractDiagrams(c.file, c.name, text, allDiagrams.length);
    allDiagrams.push(...x.diagrams);
    sourcesByChapter.set(c.name, { original: text, ...x });
  }

  // Diagrams and the API reference, side by side.
  let tDiagrams = 0;
  let tApi = 0;
  const apiDir = path.join(outDir, 'api');
  const [, api] = await Promise.all([
    (async () => {
      const s = performance.now();
      await renderDiagrams(allDiagrams, options.chromium ?? defaultChromium(), problems);
      tDiagrams = performance.now() - s;
      const done = allDiagrams.filter((d) => d.svg !== undefined).length;
      log(`diagrams: ${done} of ${allDiagrams.length} rendered in ${(tDiagrams / 1000).toFixed(1)} s`);
    })(),
    (async (): Promise<ApiResult> => {
      if (!wantApi) return { symbols: [], pages: [], sourceBase: '' };
      const s = performance.now();
      const r = await buildApi(root, apiDir, problems, apiWarnings).catch((e: unknown): ApiResult => {
        problems.push({ code: 'Docs.API_FAILED', message: `TypeDoc failed: ${firstLines(errorText(e), 5)}` });
        return { symbols: [], pages: [], sourceBase: '' };
      });
      tApi = performance.now() - s;
      log(`api: ${r.pages.length} pages in ${(tApi / 1000).toFixed(1)} s`);
      return r;
    })(),
  ]);
  const tPages0 = performance.now();

  // Lookups between the matrix and the API reference.
  const byId = new Map(trace.requirements.map((r) => [r.id, r]));
  const apiByKey = new Map<string, ApiSymbol>();
  const apiByName = new Map<string, ApiSymbol[]>();
  const apiBySpec = new Map<string, ApiSymbol[]>();
  for (const s of api.symbols) {
    apiByKey.set(s.isModule ? `${s.file}#` : `${s.file}#${s.name}`, s);
    apiByName.set(s.name, [...(apiByName.get(s.name) ?? []), s]);
    for (const id of s.specIds) apiBySpec.set(id, [...(apiBySpec.get(id) ?? []), s]);
  }
  const apiHref = (c: Citation): string | undefined => {
    if (c.symbol === undefined) {
      const m = apiByKey.get(`${c.file}#`);
      return m === undefined ? undefined : `api/${m.url}`;
    }
    const s =
      apiByKey.get(c.symbolKind === 'module' ? `${c.file}#` : `${c.file}#${c.symbol}`) ??
      (apiByName.get(c.symbol)?.length === 1 ? apiByName.get(c.symbol)?.[0] : undefined);
    return s === undefined ? undefined : `api/${s.url}`;
  };

  const nav: NavInfo = { chapters: trace.chapters, hasApi: api.pages.length > 0 };
  const sources = new SourcePages(root);
  const fragments: FragmentCheck[] = [];
  const ctx: ChapterContext = {
    root,
    byId,
    apiHref,
    apiModuleHref: (file) => {
      const m = apiByKey.get(`${file}#`);
      return m === undefined ? undefined : `api/${m.url}`;
    },
    apiBySpec,
    sources,
    problems,
    fragments,
    chapterNames: new Set(trace.chapters.map((c) => c.name)),
  };

  const rendered: (RenderedChapter & { specToApi: number })[] = [];
  for (const c of trace.chapters) {
    const src = sourcesByChapter.get(c.name);
    if (src === undefined) continue;
    rendered.push(await renderChapter(c, src.original, src.markdown, src.diagrams, ctx));
  }

  // Fragment links between chapters must land on a heading or a requirement.
  const idsByChapter = new Map(rendered.map((r) => [r.chapter.name, r.ids]));
  for (const f of fragments) {
    if (idsByChapter.get(f.chapter)?.has(f.fragment) !== true) {
      problems.push({ code: 'Docs.BROKEN_LINK', message: `${f.from}:${f.line}: no heading or requirement #${f.fragment} in ${f.chapter}.md` });
    }
  }

  const pages: string[] = [];
  for (const r of rendered) {
    const page = `spec/${r.chapter.name}.html`;
    const footer = `Source: <code>${escapeHtml(r.chapter.file)}</code> · ${plural(r.requirements, 'requirement', 'requirements')}`;
    await writeOut(
      path.join(outDir, page),
      layout({ page, title: r.chapter.title, nav, current: r.chapter.name, toc: r.toc, body: r.html, footer }),
    );
    pages.push(page);
  }
  await writeOut(path.join(outDir, 'spec/trace.html'), tracePage(trace, ctx, nav));
  pages.push('spec/trace.html');
  await writeOut(
    path.join(outDir, 'index.html'),
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Pharos specification</title>
<meta http-equiv="refresh" content="0; url=spec/index.html">
<link rel="stylesheet" href="style.css">
</head>
<body><main><p>The specification starts at <a href="spec/index.html">spec/index.html</a>.</p></main></body>
</html>
`,
  );
  pages.push('index.html');
  await writeOut(path.join(outDir, 'style.css'), STYLE.trimStart());
  const apiToSpecLinks = api.pages.length > 0 ? await postProcessApi(apiDir, api.pages, byId, sources, api.sourceBase) : 0;
  pages.push(...api.pages.map((p) => `api/${p}`));
  const specHref = (id: string, page: string): string | undefined => {
    const r = byId.get(id);
    return r === undefined ? undefined : `${rootPrefix(page)}spec/${path.posix.basename(r.file, '.md')}.html#${id}`;
  };
  pages.push(...(await sources.write(outDir, nav, specHref)));
  const tPages = performance.now() - tPages0;

  if (problems.length > 0) throw new SiteBuildError(problems);

  const warnings = [
    ...trace.dangling.map((d) => `${d.file}:${d.line}: ${d.id} is cited but no chapter defines it`),
    ...trace.duplicates.map((d) => `${d.id} is defined more than once: ${d.definitions.map((l) => `${l.file}:${l.line}`).join(', ')}`),
    ...trace.problems
      .filter((p) => p.code !== 'Trace.DANGLING_REFERENCE' && p.code !== 'Trace.DUPLICATE_DEFINITION')
      .map((p) => `${p.file}:${p.line}: ${p.message}`),
    ...apiWarnings,
  ];
  return {
    outDir,
    chapters: rendered.map((r) => ({
      name: r.chapter.name,
      source: r.chapter.file,
      page: `spec/${r.chapter.name}.html`,
      title: r.chapter.title,
      requirements: r.requirements,
      diagrams: r.diagrams,
    })),
    pages: pages.sort(),
    diagrams: allDiagrams.length,
    requirements: trace.requirements.length,
    apiPages: api.pages.length,
    specToApiLinks: rendered.reduce((n, r) => n + r.specToApi, 0),
    apiToSpecLinks,
    trace: { ...trace.summary, ok: trace.ok },
    warnings,
    timingsMs: {
      trace: Math.round(tTrace - t0),
      diagrams: Math.round(tDiagrams),
      api: Math.round(tApi),
      pages: Math.round(tPages),
      total: Math.round(performance.now() - t0),
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Script entry

/** The repository root: the nearest ancestor of this file holding `package.json` and `spec/`. */
const findRoot = (from: string): string => {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'spec'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
};

const isEntryModule = (): boolean => {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
};

const main = async (): Promise<number> => {
  const root = findRoot(path.dirname(fileURLToPath(import.meta.url)));
  const outDir = path.join(root, 'docs', 'site');
  try {
    const report = await buildSite({ root, outDir, log: (l) => console.log(l) });
    const shown = 10;
    for (const w of report.warnings.slice(0, shown)) console.warn(`warning: ${w}`);
    if (report.warnings.length > shown) {
      console.warn(`warning: ... and ${report.warnings.length - shown} more (all on spec/trace.html; \`pharos-spec trace\` lists them)`);
    }
    const t = report.timingsMs;
    console.log(
      `site: ${path.relative(process.cwd(), outDir) || '.'}/index.html — ${report.chapters.length} chapters, ` +
        `${report.requirements} requirements, ${report.diagrams} diagrams, ${report.apiPages} API pages, ` +
        `${report.specToApiLinks} spec→API and ${report.apiToSpecLinks} API→spec links, ${report.pages.length} pages`,
    );
    console.log(
      `time: total ${(t.total / 1000).toFixed(1)} s (trace ${(t.trace / 1000).toFixed(1)} s, diagrams ${(t.diagrams / 1000).toFixed(1)} s, ` +
        `api ${(t.api / 1000).toFixed(1)} s, pages ${(t.pages / 1000).toFixed(1)} s)`,
    );
    return 0;
  } catch (e) {
    console.error(e instanceof SiteBuildError ? e.message : e);
    return 1;
  }
};

if (isEntryModule()) {
  process.exitCode = await main();
}

