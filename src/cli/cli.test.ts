import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './commands.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

const hasPython = spawnSync('python3', ['--version']).status === 0;

describe('pharos-spec command line (CLI-ARGS-STRICT.1, CLI-EXIT-CODES.1)', () => {
  it('rejects bad arguments with a code that names the problem', async () => {
    expect(await cli('frobnicate')).toMatchObject({ code: 2, err: expect.stringContaining('Cli.UNKNOWN_COMMAND') });
    expect(await cli('conform', '--clinet', 'model')).toMatchObject({ code: 2, err: expect.stringMatching(/Cli\.UNKNOWN_OPTION.*--clinet/) });
    expect(await cli('conform', '--client')).toMatchObject({ code: 2, err: expect.stringMatching(/Cli\.MISSING_VALUE.*--client/) });
    expect(await cli('conform')).toMatchObject({ code: 2, err: expect.stringContaining('Cli.MISSING_OPTION') });
    expect(await cli('conform', '--client', 'model', '--timeout', '-5')).toMatchObject({ code: 2, err: expect.stringMatching(/Cli\.BAD_VALUE.*--timeout/) });
    expect(await cli('trace', 'extra')).toMatchObject({ code: 2, err: expect.stringContaining('Cli.UNEXPECTED_ARGUMENT') });
    expect(await cli('trace', '--json=yes')).toMatchObject({ code: 2, err: expect.stringContaining('Cli.UNEXPECTED_VALUE') });
    expect(await cli('conform', '--client', 'model', '--skip', '/nonexistent/skip.json')).toMatchObject({ code: 2, err: expect.stringContaining('Cli.SKIP_FILE_UNREADABLE') });
    expect((await cli('--help')).out).toContain('conform');
  });

  it('never throws on arbitrary argument lists (fuzz)', async () => {
    const word = fc.oneof(fc.constantFrom('conform', 'vectors', 'list', 'validate', 'trace', '--client', '--kind', '--timeout', '--vectors', '--json', '--', '='), fc.string({ maxLength: 6 }));
    await fc.assert(fc.asyncProperty(fc.array(word, { maxLength: 5 }), async (argv) => {
      // Only commands that cannot start a client or write files are reachable with these words.
      const safe = argv.filter((a) => a !== 'conform' && a !== 'verify' && a !== 'generate' && a !== 'check');
      const { code } = await cli(...safe);
      return [0, 1, 2].includes(code);
    }), { numRuns: 200 });
  });

  it('conform passes the model and impl clients and writes JSON and JUnit reports', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pharos-cli-'));
    for (const client of ['model', 'impl']) {
      const r = await cli('conform', '--client', client, '--report', join(dir, `${client}.json`), '--junit', join(dir, `${client}.xml`));
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/OK: \d+ of \d+ executed cases passed/);
      const report = JSON.parse(await readFile(join(dir, `${client}.json`), 'utf8')) as { ok: boolean; executed: number };
      expect(report.ok).toBe(true);
      expect(report.executed).toBeGreaterThan(300);
      expect(await readFile(join(dir, `${client}.xml`), 'utf8')).toMatch(/^<\?xml[\s\S]*<testsuite name="encoding\/digest\/known"/);
    }
  });

  it('conform refuses a malformed vector file and names it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pharos-cli-'));
    await writeFile(join(dir, 'bad.json'), '{"format": "pharos-vectors/1", "kind": 3}');
    const r = await cli('conform', '--client', 'model', '--vectors', join(dir, 'bad.json'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.json at \/kind: Vectors\.File\.SCHEMA/);
    expect((await cli('vectors', 'validate', join(dir, 'bad.json'))).code).toBe(1);
    expect((await cli('vectors', 'validate')).out).toMatch(/\d+ file\(s\), \d+ case\(s\): valid/);
  });

  it('a run that executes nothing fails', async () => {
    const r = await cli('conform', '--client', 'model', '--kind', 'consensus/none');
    expect(r.code).toBe(1);
    expect(r.out).toContain('no case was executed');
  });

  it.skipIf(!hasPython)('the Python example client passes the encoding vectors', async () => {
    const r = await cli('conform', '--client', `python3 ${join(root, 'examples/clients/python/client.py')}`, '--kind', 'encoding/canonical-json', '--kind', 'encoding/case-hash', '--kind', 'encoding/digest');
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toContain('client: pharos-python-client');
  }, 60_000);

  it('vectors generate --check finds the committed vectors current', async () => {
    const r = await cli('vectors', 'generate', '--check');
    expect(r.code, r.err).toBe(0);
  });

  // The bin that `npm ci` builds through the prepare script; the test script rebuilds it first.
  it.skipIf(!existsSync(join(root, 'dist/src/cli/main.js')))('the built pharos-spec bin runs', () => {
    // Run as an executable, the way npx runs the bin: the build marks it executable.
    const out = execFileSync(join(root, 'dist/src/cli/main.js'), ['vectors', 'list', '--kind', 'encoding/digest'], { encoding: 'utf8' });
    expect(out).toMatch(/encoding\/digest\s+known\s+\d+/);
  });
});
