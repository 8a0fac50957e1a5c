// `kontext <command> [args]`: one file per command under src/cli/, registered in COMMANDS below.
// Each command gets its argv (after the command name) and returns an exit code. Errors that are the user's
// fault are thrown as UserError and printed without a stack trace.

import { UserError } from '../errors.ts';

export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  edit: async () => (await import('./edit.ts')).default,
  generate: async () => (await import('./generate.ts')).default,
  verify: async () => (await import('./verify.ts')).default,
  bench: async () => (await import('./bench.ts')).default,
  train: async () => (await import('./train.ts')).default,
  session: async () => (await import('./session.ts')).default,
};

function usage(): string {
  const lines = Object.keys(COMMANDS).map((name) => `  kontext ${name}`);
  return ['usage: kontext <command> [options]', '', 'commands:', ...lines, '', 'kontext <command> --help for details'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`kontext: unknown command '${name}'\n\n${usage()}`);
    return 1;
  }
  try {
    return await (await load()).run(rest);
  } catch (err) {
    if (err instanceof UserError) {
      console.error(`kontext ${name}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
