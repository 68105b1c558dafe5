/** A tiny argv parser: positionals, `--flag`, `--key value` and `--key=value`. */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Map<string, string | true>;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], booleanFlags: ReadonlySet<string>): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (name === '') throw new UsageError(`bad option "${arg}"`);
      if (eq !== -1) {
        options.set(name, arg.slice(eq + 1));
      } else if (booleanFlags.has(name)) {
        options.set(name, true);
      } else {
        const value = argv[i + 1];
        if (value === undefined || value.startsWith('--')) throw new UsageError(`option --${name} needs a value`);
        options.set(name, value);
        i++;
      }
    } else if (arg === '-h') {
      options.set('help', true);
    } else {
      positionals.push(arg);
    }
  }
  return { positionals, options };
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  if (v === true) throw new UsageError(`option --${name} needs a value`);
  return v;
}

export function portOption(args: ParsedArgs, name = 'port'): number | undefined {
  const v = stringOption(args, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new UsageError(`--${name} must be a port number (0-65535)`);
  return Number(v);
}
