import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/**
 * Compares a vectors directory with what generation gives: every generated file must exist with
 * exactly the same bytes, and the directory may hold no other generated-looking file (a stale
 * suite left behind would still be run by clients). @spec VEC-REPRODUCIBLE.1
 */
export const checkVectorTree = async (dir: string, tree: ReadonlyMap<string, string>): Promise<string[]> => {
  const diffs: string[] = [];
  for (const [path, content] of tree) {
    let actual: string | undefined;
    try {
      actual = await readFile(join(dir, path), 'utf8');
    } catch {
      actual = undefined;
    }
    if (actual === undefined) diffs.push(`${path}: missing (generation produces it)`);
    else if (actual !== content) diffs.push(`${path}: differs from the generated content${firstDifferentLine(actual, content)}`);
  }
  let present: string[] = [];
  try {
    present = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && (e.name.endsWith('.json') || e.name.endsWith('.md')))
      .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
  } catch {
    diffs.push(`${dir}: not a readable directory`);
  }
  for (const path of present) if (!tree.has(path)) diffs.push(`${path}: not produced by generation (stale or hand-written)`);
  return diffs;
};

const firstDifferentLine = (actual: string, expected: string): string => {
  const a = actual.split('\n');
  const e = expected.split('\n');
  const i = a.findIndex((line, n) => line !== e[n]);
  const at = i < 0 ? a.length : i;
  return ` (first at line ${at + 1}: committed ${JSON.stringify((a[at] ?? '<end of file>').slice(0, 120))}, generated ${JSON.stringify((e[at] ?? '<end of file>').slice(0, 120))})`;
};
