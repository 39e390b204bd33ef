import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout or installed package this command belongs to: the nearest directory above this
 * file whose package.json is pharos-spec's. Default paths (spec/, vectors/) are taken from it, so
 * the command works from any working directory.
 */
export const packageRoot = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'pharos-spec') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the pharos-spec package root above the running command');
    dir = parent;
  }
};
