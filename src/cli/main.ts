#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCli } from './commands.js';

/** Entry point of the `pharos-spec` command. */
const isEntry = (): boolean => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
};

if (isEntry()) {
  // A reader that closes early (`pharos-spec ... | head`) is not an error of the command.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const io = { out: (s: string) => void process.stdout.write(`${s}\n`), err: (s: string) => void process.stderr.write(`${s}\n`) };
  runCli(process.argv.slice(2), io).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      io.err(`pharos-spec: internal error: ${(e as Error).stack ?? String(e)}`);
      process.exitCode = 70;
    },
  );
}
