/**
 * The documentation site, checked in a real browser: build it, serve it over HTTP, visit the pages
 * in headless Chromium (see `browserPages` for which of the many API and source pages are only read
 * as HTML), and check that every internal link and `#fragment` lands, that diagrams are SVG (no
 * mermaid source left), that requirement anchors exist, and that spec and API link to each other.
 * Runs on a small fixture repository (deterministic) and on this repository.
 *
 * Needs Chromium (`PUPPETEER_EXECUTABLE_PATH`, else /usr/bin/chromium). Without it the suite is
 * skipped, unless PHAROS_REQUIRE_CHROMIUM=1, which makes a missing browser a failure.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTraceMatrix } from '../src/conformance/trace/index.js';
import { buildSite, CHROMIUM_ARGS, defaultChromium, SiteBuildError, type SiteReport } from './build.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = defaultChromium();
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const REQUIRE_CHROMIUM = process.env['PHAROS_REQUIRE_CHROMIUM'] === '1';
const RUN = HAVE_CHROMIUM || REQUIRE_CHROMIUM;
if (!RUN) {
  console.warn(
    `docs/site.test.ts skipped: no Chromium at ${CHROMIUM} (set PUPPETEER_EXECUTABLE_PATH, ` +
      'or PHAROS_REQUIRE_CHROMIUM=1 to make this a failure)',
  );
}

// Fixture sources are assembled so that no line of this file reads as a requirement citation.
const SPEC = '@' + 'spec';

const FIXTURE: Record<string, string> = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      target: 'es2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      skipLibCheck: true,
      types: [],
    },
    include: ['src'],
  }),
  'spec/index.md': [
    '# Fixture specification',
    '',
    'Chapters: [Alpha](alpha.md) and [Beta](beta.md).',
    '',
    '**[FIXS-INDEX-SCOPE.1]** The index defines one requirement.',
    '',
    '```mermaid',
    'flowchart LR',
    '  prose["spec/*.md"] --> model["src/model"]',
    '  model --> vectors',
    '```',
    '',
    'See [FIXS-ALPHA-RULE.1], [the rule](alpha.md#FIXS-ALPHA-RULE.1), [a heading](beta.md#second-section)',
    'and [the model source](../src/model/alpha.ts).',
    '',
  ].join('\n'),
  'spec/alpha.md': [
    '# Alpha',
    '',
    '## Rules',
    '',
    '**[FIXS-ALPHA-RULE.1]** A rule with a model symbol.',
    '',
    '- **[FIXS-ALPHA-LIST.1]** A list rule that refers to `FIXS-INDEX-SCOPE.1`.',
    '',
    '```mermaid',
    'sequenceDiagram',
    '  participant A',
    '  participant B',
    '  A->>B: hello',
    '  B-->>A: hi',
    '```',
    '',
    '```ts',
    'const notADiagram = 1;',
    '```',
    '',
  ].join('\n'),
  'spec/beta.md': [
    '# Beta',
    '',
    '## First section',
    '',
    '| rule | statement |',
    '|---|---|',
    '| **[FIXS-BETA-ROW.1]** | A rule in a table. |',
    '',
    '## Second section',
    '',
    'Back to [the index](index.md) and [the first section](#first-section).',
    '',
  ].join('\n'),
  'src/model/alpha.ts': [
    '/**',
    ' * The alpha model.',
    ' * @packageDocumentation',
    ' */',
    '',
    '/**',
    ' * Returns one.',
    ` * ${SPEC} FIXS-ALPHA-RULE.1`,
    ' */',
    'export const one = (): number => 1;',
    '',
    '/** A shape. */',
    'export interface Shape {',
    '  /**',
    '   * The size.',
    `   * ${SPEC} FIXS-BETA-ROW.1`,
    '   */',
    '  readonly size: number;',
    '}',
    '',
  ].join('\n'),
};

const writeTree = async (root: string, files: Record<string, string>): Promise<void> => {
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
};

// ---------------------------------------------------------------------------------------------
// A static server and a crawler

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

const serve = async (dir: string): Promise<{ server: Server; base: string }> => {
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        let rel = decodeURIComponent(url.pathname);
        if (rel.endsWith('/')) rel += 'index.html';
        const file = path.join(dir, rel);
        if (!file.startsWith(dir + path.sep)) {
          res.writeHead(403).end();
          return;
        }
        const data = await readFile(file);
        res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'text/plain; charset=utf-8' }).end(data);
      } catch {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}/` };
};

/** The little of the DOM the page script below uses (the project compiles without the DOM lib). */
interface MiniElement {
  readonly id: string;
  readonly href?: unknown;
  readonly textContent: string | null;
  readonly classList: { contains(name: string): boolean };
  getAttribute(name: string): string | null;
  querySelector(selector: string): MiniElement | null;
  getBoundingClientRect(): { readonly width: number };
}
interface MiniDocument {
  querySelectorAll(selector: string): ArrayLike<MiniElement>;
}

interface PageFacts {
  readonly ids: readonly string[];
  readonly links: readonly string[];
  readonly diagrams: number;
  readonly renderedSvgs: number;
  readonly tinySvgs: number;
  readonly placeholders: number;
  readonly mermaidSource: number;
  readonly requirementAnchors: readonly string[];
}

interface Crawl {
  readonly facts: ReadonlyMap<string, PageFacts>; // by site-relative page
  readonly problems: readonly string[];
}

/**
 * The pages rendered in the browser: every chapter, the matrix, the landing page and the API index,
 * and an evenly spread sample of the many pages alike (TypeDoc's, each building its navigation with
 * scripts, and the source listings). The other pages are fetched from the same server and their
 * links and anchors read from the HTML; this keeps the suite's time bounded as the model grows.
 */
const BROWSER_SAMPLE = 24;
const browserPages = (pages: readonly string[]): Set<string> => {
  const alike = (rel: string): boolean => rel.startsWith('api/') || rel.startsWith('source/');
  const many = pages.filter((rel) => alike(rel) && rel !== 'api/index.html');
  const step = Math.max(1, Math.ceil(many.length / BROWSER_SAMPLE));
  return new Set([...pages.filter((rel) => !many.includes(rel)), ...many.filter((_, i) => i % step === 0)]);
};

const unescapeAttr = (v: string): string =>
  v.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** Links and anchors of a page read from its HTML, for pages not rendered in the browser. */
const staticFacts = (html: string, pageUrl: string): PageFacts => {
  const ids = [...html.matchAll(/<[a-zA-Z][^>]*?\s(?:id|name)="([^"]*)"/g)].map((m) => unescapeAttr(m[1] ?? ''));
  const links = [...html.matchAll(/<a\s[^>]*?href="([^"]*)"/g)].map((m) => new URL(unescapeAttr(m[1] ?? ''), pageUrl).href);
  return { ids, links, diagrams: 0, renderedSvgs: 0, tinySvgs: 0, placeholders: 0, mermaidSource: 0, requirementAnchors: [] };
};

/** Visits every page of the report, then checks every same-site link and fragment. */
const crawl = async (browser: Browser, base: string, dir: string, report: SiteReport): Promise<Crawl> => {
  const problems: string[] = [];
  const facts = new Map<string, PageFacts>();
  // The browser asks for /favicon.ico on its own; that is not a link of the site.
  const ownRequest = (url: string): boolean => url.startsWith(base) && url !== `${base}favicon.ico`;
  const inBrowser = browserPages(report.pages);
  const queue: string[] = [];
  for (const rel of report.pages) {
    if (inBrowser.has(rel)) {
      queue.push(rel);
      continue;
    }
    const res = await fetch(base + rel);
    if (res.status !== 200) problems.push(`${rel}: status ${res.status}`);
    else facts.set(rel, staticFacts(await res.text(), base + rel));
  }
  const visitInBrowser = async (): Promise<void> => {
    const page = await browser.newPage();
    let current = '';
    page.on('pageerror', (e) => problems.push(`${current}: script error: ${e instanceof Error ? e.message : String(e)}`));
    page.on('response', (r) => {
      if (ownRequest(r.url()) && r.status() >= 400) problems.push(`${current}: ${r.status()} for ${r.url().slice(base.length)}`);
    });
    page.on('requestfailed', (r) => {
      if (ownRequest(r.url())) problems.push(`${current}: request failed for ${r.url().slice(base.length)}`);
    });
    try {
      for (let rel = queue.shift(); rel !== undefined; rel = queue.shift()) {
        current = rel;
        const html = await readFile(path.join(dir, rel), 'utf8');
        const redirect = /<meta http-equiv="refresh" content="\d+;\s*url=([^"]+)">/.exec(html)?.[1];
        if (redirect !== undefined) {
          // A redirect page: the browser must land on the target page.
          const target = new URL(redirect, base + rel).href;
          const arrived = page.waitForResponse((r) => r.url() === target && r.request().isNavigationRequest(), { timeout: 10_000 });
          await page.goto(base + rel);
          const res = await arrived.catch(() => undefined);
          for (let i = 0; i < 100 && page.url() !== target; i++) await new Promise((r) => setTimeout(r, 20));
          if (res?.status() !== 200 || page.url() !== target) {
            problems.push(`${rel}: redirect to ${redirect} landed on ${page.url()} (status ${res?.status() ?? 'none'})`);
          }
          facts.set(rel, { ids: [], links: [target], diagrams: 0, renderedSvgs: 0, tinySvgs: 0, placeholders: 0, mermaidSource: 0, requirementAnchors: [] });
          continue;
        }
        const res = await page.goto(base + rel, { waitUntil: 'load', timeout: 20_000 }).catch((e: unknown) => {
          problems.push(`${rel}: ${e instanceof Error ? e.message : String(e)}`);
          return undefined;
        });
        if (res === undefined) continue;
        if (res === null || res.status() !== 200) {
          problems.push(`${rel}: status ${res?.status() ?? 'none'}`);
          continue;
        }
        const f = await page.evaluate(() => {
          const document = (globalThis as unknown as { document: MiniDocument }).document;
          const ids = [
            ...Array.from(document.querySelectorAll('[id]'), (e) => e.id),
            ...Array.from(document.querySelectorAll('a[name]'), (e) => e.getAttribute('name') ?? ''),
          ];
          // SVG links have an object as `href`; only HTML links are followed.
          const links = Array.from(document.querySelectorAll('a[href]'), (a) => (typeof a.href === 'string' ? a.href : ''));
          const figures = Array.from(document.querySelectorAll('figure.diagram'));
          const svgs = figures.map((fig) => fig.querySelector('svg'));
          return {
            ids,
            links: links.filter((l) => l !== ''),
            diagrams: figures.length,
            renderedSvgs: svgs.filter((s) => s !== null).length,
            tinySvgs: svgs.filter((s) => s !== null && s.getBoundingClientRect().width < 40).length,
            placeholders: document.querySelectorAll('[data-diagram]').length,
            // A code block still holding a diagram's source: marked's class, or a diagram header line.
            mermaidSource: Array.from(document.querySelectorAll('pre')).filter(
              (e) =>
                e.querySelector('code.language-mermaid') !== null ||
                /^\s*(flowchart|graph|sequenceDiagram|stateDiagram(-v2)?|classDiagram|erDiagram|gantt)\b[^\n]*\n/.test(e.textContent ?? ''),
            ).length,
            requirementAnchors: Array.from(document.querySelectorAll('strong.req-id[id]'), (e) => e.id),
          };
        });
        facts.set(rel, f);
      }
    } finally {
      await page.close();
    }
  };
  // One tab: several tabs at once make Chromium miss load events now and then.
  await visitInBrowser();
  const checked = new Set<string>();
  for (const [rel, f] of facts) {
    for (const href of f.links) {
      if (!href.startsWith(base)) continue; // external
      const url = new URL(href);
      const target = decodeURIComponent(url.pathname.slice(1)) || 'index.html';
      const key = `${target}${url.hash}`;
      if (checked.has(`${rel}|${key}`)) continue;
      checked.add(`${rel}|${key}`);
      const targetFacts = facts.get(target);
      if (targetFacts === undefined) {
        const onDisk = await stat(path.join(dir, target)).then((s) => s.isFile(), () => false);
        if (!onDisk) problems.push(`${rel}: broken link to ${target}`);
        continue;
      }
      const fragment = decodeURIComponent(url.hash.slice(1));
      if (fragment !== '' && !targetFacts.ids.includes(fragment)) problems.push(`${rel}: no #${fragment} in ${target}`);
    }
  }
  return { facts, problems };
};

// ---------------------------------------------------------------------------------------------

describe.runIf(RUN)('documentation site in a browser', () => {
  let browser: Browser;
  const temps: string[] = [];
  const temp = async (prefix: string): Promise<string> => {
    const d = await mkdtemp(path.join(tmpdir(), prefix));
    temps.push(d);
    return d;
  };

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) {
      throw new Error(`PHAROS_REQUIRE_CHROMIUM=1 but there is no Chromium at ${CHROMIUM}`);
    }
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const d of temps) await rm(d, { recursive: true, force: true });
  });

  it('builds a fixture site whose links, anchors, diagrams and API cross-links all work', async () => {
    const root = await temp('site-fixture-');
    await writeTree(root, FIXTURE);
    const out = path.join(root, 'site');
    const report = await buildSite({ root, outDir: out });

    expect(report.chapters.map((c) => [c.name, c.requirements, c.diagrams])).toEqual([
      ['index', 1, 1],
      ['alpha', 2, 1],
      ['beta', 1, 0],
    ]);
    expect(report.diagrams).toBe(2);
    expect(report.apiPages).toBeGreaterThan(0);
    expect(report.specToApiLinks).toBeGreaterThanOrEqual(2);
    expect(report.apiToSpecLinks).toBeGreaterThanOrEqual(2);
    expect(report.pages).toEqual(expect.arrayContaining(['index.html', 'spec/index.html', 'spec/trace.html', 'source/src/model/alpha.ts.html']));

    const { server, base } = await serve(out);
    try {
      const { facts, problems } = await crawl(browser, base, out, report);
      expect(problems).toEqual([]);
      expect([...facts.keys()].sort()).toEqual([...report.pages].sort());

      // Requirement anchors sit on their chapters; the matrix has a row for each.
      expect(facts.get('spec/index.html')?.requirementAnchors).toEqual(['FIXS-INDEX-SCOPE.1']);
      expect(facts.get('spec/alpha.html')?.requirementAnchors).toEqual(['FIXS-ALPHA-RULE.1', 'FIXS-ALPHA-LIST.1']);
      expect(facts.get('spec/beta.html')?.requirementAnchors).toEqual(['FIXS-BETA-ROW.1']);
      expect(facts.get('spec/trace.html')?.ids).toEqual(
        expect.arrayContaining(['FIXS-INDEX-SCOPE.1', 'FIXS-ALPHA-RULE.1', 'FIXS-ALPHA-LIST.1', 'FIXS-BETA-ROW.1']),
      );

      // Diagrams are SVG, with no mermaid source left.
      for (const c of report.chapters) {
        const f = facts.get(c.page);
        expect({ page: c.page, diagrams: f?.diagrams, svgs: f?.renderedSvgs, tiny: f?.tinySvgs, left: f?.mermaidSource, ph: f?.placeholders }).toEqual({
          page: c.page,
          diagrams: c.diagrams,
          svgs: c.diagrams,
          tiny: 0,
          left: 0,
          ph: 0,
        });
      }

      // Spec -> API: the rule links to the symbol's page; API -> spec: the tag links to the anchor.
      const alpha = facts.get('spec/alpha.html');
      const apiLink = alpha?.links.find((l) => l.includes('/api/') && l.includes('one'));
      expect(apiLink).toBeDefined();
      const apiPage = decodeURIComponent(new URL(apiLink ?? base).pathname.slice(1));
      expect(facts.get(apiPage)?.links).toEqual(expect.arrayContaining([`${base}spec/alpha.html#FIXS-ALPHA-RULE.1`]));
      const beta = facts.get('spec/beta.html');
      expect(beta?.links.some((l) => l.includes('/api/') && /Shape/.test(l))).toBe(true);
      // References to requirements in prose link to their definitions.
      expect(facts.get('spec/index.html')?.links).toEqual(
        expect.arrayContaining([`${base}spec/alpha.html#FIXS-ALPHA-RULE.1`, `${base}source/src/model/alpha.ts.html`]),
      );
      expect(alpha?.links).toEqual(expect.arrayContaining([`${base}spec/index.html#FIXS-INDEX-SCOPE.1`]));
    } finally {
      server.close();
    }
  }, 100_000);

  it('fails the build on a broken diagram or link, naming chapter and line', async () => {
    const root = await temp('site-broken-');
    await writeTree(root, {
      'spec/index.md': [
        '# Broken',
        '',
        '```mermaid',
        'flowchart LR',
        '  a --> b',
        '```',
        '',
        '```mermaid',
        'flowchart LR',
        '  a --> b',
        '  b --> (',
        '```',
        '',
        'See [a missing chapter](nope.md) and',
        '[a missing section](#nowhere).',
        '',
      ].join('\n'),
    });
    const error = await buildSite({ root, outDir: path.join(root, 'site'), api: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SiteBuildError);
    const problems = error instanceof SiteBuildError ? error.problems : [];
    expect(problems.map((p) => p.code)).toEqual(['Docs.DIAGRAM_FAILED', 'Docs.BROKEN_LINK', 'Docs.BROKEN_LINK']);
    expect(problems[0]?.message).toMatch(/^spec\/index\.md:11: mermaid diagram \(fence at line 8\) in chapter index failed/);
    expect(problems[1]?.message).toBe('spec/index.md:14: link target nope.md does not exist');
    expect(problems[2]?.message).toBe('spec/index.md:15: no heading or requirement #nowhere in index.md');
  }, 60_000);

  it("builds this repository's site; every page, link and diagram works", async () => {
    const out = path.join(await temp('site-repo-'), 'site');
    // A failed build still writes the pages it could; the screenshot is taken either way.
    const built = await buildSite({ root: REPO, outDir: out }).then(
      (report) => ({ report, error: undefined }),
      (error: unknown) => ({ report: undefined, error }),
    );
    const { server, base } = await serve(out);
    try {
      const page = await browser.newPage();
      try {
        await page.setViewport({ width: 1280, height: 900 });
        await page.goto(`${base}spec/index.html`, { waitUntil: 'load' });
        await mkdir(path.join(REPO, 'docs', 'site'), { recursive: true });
        await page.screenshot({ path: path.join(REPO, 'docs', 'site', 'screenshot.png') });
      } finally {
        await page.close();
      }
      if (built.error !== undefined) throw built.error;
      const report = built.report;
      if (report === undefined) throw new Error('no report');

      const { facts, problems } = await crawl(browser, base, out, report);
      expect(problems).toEqual([]);
      for (const c of report.chapters) {
        const f = facts.get(c.page);
        expect({ page: c.page, svgs: f?.renderedSvgs, tiny: f?.tinySvgs, left: f?.mermaidSource, ph: f?.placeholders }).toEqual({
          page: c.page,
          svgs: c.diagrams,
          tiny: 0,
          left: 0,
          ph: 0,
        });
      }
      const trace = await buildTraceMatrix(REPO);
      for (const r of trace.requirements) {
        expect(facts.get(`spec/${r.chapter}.html`)?.requirementAnchors, r.id).toContain(r.id);
      }
    } finally {
      server.close();
    }
  }, 110_000);
});
