import { type Result, ok, fail } from '../model/encoding/result.js';

/** How one command's options look: which take a value, which may repeat. */
export interface OptionSpec {
  readonly name: string;
  readonly value?: string;
  readonly repeatable?: boolean;
  readonly help: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  /** Names of positional arguments; a trailing `...` takes any number. */
  readonly positionals?: readonly string[];
}

export interface ParsedArgs {
  readonly options: ReadonlyMap<string, readonly string[]>;
  readonly flags: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

/**
 * Parses `--name value`, `--name=value` and `--flag` against a command's spec. Anything the spec
 * does not allow is an error that names the argument, so a typo never silently changes a run.
 *
 * @spec CLI-ARGS-STRICT.1
 */
export const parseArgs = (spec: CommandSpec, argv: readonly string[]): Result<ParsedArgs> => {
  const options = new Map<string, string[]>();
  const flags = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const option = spec.options.find((o) => o.name === name);
    if (option === undefined) {
      const known = spec.options.map((o) => `--${o.name}`).join(', ') || 'none';
      return fail('Cli.UNKNOWN_OPTION', `${spec.name}: unknown option --${name} (options: ${known})`);
    }
    if (option.value === undefined) {
      if (eq >= 0) return fail('Cli.UNEXPECTED_VALUE', `${spec.name}: --${name} takes no value`);
      flags.add(name);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') return fail('Cli.MISSING_VALUE', `${spec.name}: --${name} needs a value <${option.value}>`);
    if (options.has(name) && !option.repeatable) return fail('Cli.REPEATED_OPTION', `${spec.name}: --${name} given twice`);
    options.set(name, [...(options.get(name) ?? []), value]);
  }
  const declared = spec.positionals ?? [];
  const variadic = declared.at(-1)?.endsWith('...') ?? false;
  if (!variadic && positionals.length > declared.length) {
    return fail('Cli.UNEXPECTED_ARGUMENT', `${spec.name}: unexpected argument ${JSON.stringify(positionals[declared.length])}`);
  }
  return ok({ options, flags, positionals });
};

/** Reads a positive integer option, with the option's name in the error. */
export const intOption = (args: ParsedArgs, name: string, fallback: number, command: string): Result<number> => {
  const raw = args.options.get(name)?.[0];
  if (raw === undefined) return ok(fallback);
  return /^[1-9][0-9]*$/.test(raw) && Number.isSafeInteger(Number(raw))
    ? ok(Number(raw))
    : fail('Cli.BAD_VALUE', `${command}: --${name} must be a positive integer, got ${JSON.stringify(raw)}`);
};

export const usage = (spec: CommandSpec): string => {
  const pos = (spec.positionals ?? []).map((p) => ` <${p}>`).join('');
  const opts = spec.options.map((o) => `  --${o.name}${o.value ? ` <${o.value}>` : ''}${o.repeatable ? ' (repeatable)' : ''}\n      ${o.help}`).join('\n');
  return `pharos-spec ${spec.name}${pos}\n  ${spec.summary}${opts ? `\n${opts}` : ''}`;
};
