// `kontext <command> [args]`: one file per command under src/cli/, registered in COMMANDS below.
// Each command gets its argv (after the command name) and returns an exit code. The one error path of every
// command is here:
//   - mistakes (a UserError, or a node:util parseArgs error: unknown option, missing value) print one line,
//     `kontext <command>: <the problem and the fix>`, and exit 2;
//   - anything else is an internal failure: one short line and exit 1; the stack trace with --debug (anywhere on
//     the command line) or KONTEXT_DEBUG=1.
// `--ep cpu|webgpu|cuda` (anywhere on the command line, like --debug) runs every command's graphs on that ONNX
// Runtime execution provider, as KONTEXT_EP does; the provider is started before the command, so a missing
// driver is one line naming what to install.
// Commands check their arguments, files and images before loading a model (see args.ts).

import { UserError } from '../errors.ts';

export interface Command {
  run(argv: string[]): Promise<number>;
}

/** The commands: what each does (for `kontext --help`, without loading them) and its module, loaded when run. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  edit: {
    summary: 'edit an image from words (the embedded model, or a FLUX.1 Kontext checkpoint)',
    load: () => import('./edit.ts'),
  },
  generate: { summary: 'generate an image from words with the embedded model', load: () => import('./generate.ts') },
  chat: {
    summary: 'interactive editing loop: instructions from stdin, each result the next input',
    load: () => import('./chat.ts'),
  },
  session: {
    summary: 'multi-turn editing sessions: new, edit, list, show, undo, branch, export',
    load: () => import('./session.ts'),
  },
  serve: {
    summary: 'HTTP service and web app: JSON API with queued jobs, progress events and sessions',
    load: () => import('./serve.ts'),
  },
  page: {
    summary: 'write a static web page that edits with the embedded model in the browser (no server)',
    load: () => import('./page.ts'),
  },
  worker: { summary: 'run the jobs of `kontext serve --redis` (scale-out worker)', load: () => import('./worker.ts') },
  models: {
    summary: 'list the built-in models, or inspect a checkpoint or model folder',
    load: () => import('./models.ts'),
  },
  encode: {
    summary: "encode a prompt with FLUX's T5 and CLIP text encoders (for --prompt-embeds)",
    load: () => import('./encode.ts'),
  },
  verify: {
    summary: 'check parity with the reference PyTorch outputs in a fixture folder',
    load: () => import('./verify.ts'),
  },
  bench: {
    summary: 'synthetic datasets with exact targets, benchmark runs (also on the real KontextBench), reports',
    load: () => import('./bench.ts'),
  },
  train: { summary: 'train the embedded model (autoencoder, flow transformer)', load: () => import('./train.ts') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    'usage: kontext <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'kontext <command> --help for details',
    '',
    'options of every command:',
    '  --ep cpu|webgpu|cuda   ONNX Runtime execution provider (default cpu; or KONTEXT_EP)',
    '  --debug                stack traces for internal errors (or KONTEXT_DEBUG=1)',
  ].join('\n');
}

/** node:util parseArgs throws TypeErrors with codes ERR_PARSE_ARGS_UNKNOWN_OPTION, ..._INVALID_OPTION_VALUE, ... */
function isParseArgsError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

/**
 * The options of every command, taken out of the arguments wherever they stand before a '--': --debug (stack
 * traces; also KONTEXT_DEBUG=1) and --ep VALUE / --ep=VALUE (the last one wins; null: --ep without a value).
 */
function takeGlobalOptions(argv: string[]): { args: string[]; debug: boolean; ep?: string | null } {
  const args: string[] = [];
  let debug = false;
  let ep: string | null | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (a === '--debug') debug = true;
    else if (a === '--ep') ep = i + 1 < argv.length ? argv[++i] : null;
    else if (a.startsWith('--ep=')) ep = a.slice(5);
    else args.push(a);
  }
  const env = process.env.KONTEXT_DEBUG;
  return { args, debug: debug || (!!env && env !== '0' && env !== 'false'), ep };
}

/** Print an error the one way and return the exit code: 2 for the user's mistakes, 1 for internal failures. */
export function reportError(err: unknown, command: string, debug = false): number {
  const who = command ? `kontext ${command}` : 'kontext';
  const stack = debug && err instanceof Error && err.stack ? `\n${err.stack}` : '';
  if (err instanceof UserError) {
    console.error(`${who}: ${err.message}${stack}`);
    return 2;
  }
  if (isParseArgsError(err)) {
    // node's first sentence, less its advice about positionals that start with '-' (rarely what was meant)
    const first = err.message.split('\n')[0].split('. To specify a positional')[0].replace(/\.$/, '');
    const dash = /use '(--[^=']+=)-XYZ'/.exec(err.message); // "--seed -1": the value looks like an option
    console.error(
      `${who}: ${first}${dash ? ` (a value that starts with '-' is written ${dash[1]}-1)` : ''}; ` +
        `see '${who} --help'${stack}`,
    );
    return 2;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const line = e.message.split('\n')[0];
  const kind = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
  const what = `${kind}${line.length > 300 ? `${line.slice(0, 300)}…` : line}`;
  console.error(
    debug
      ? `${who}: internal error: ${what}${stack}`
      : `${who}: internal error: ${what} (a bug or a problem of this machine; ` +
          `run again with --debug or KONTEXT_DEBUG=1 for the stack trace)`,
  );
  return 1;
}

/**
 * A reader that stops early (`kontext bench report R | head`) closes the pipe under our output; stop quietly then,
 * as Unix tools do, instead of dying on an unhandled EPIPE with a stack trace.
 */
export function quietOnClosedPipe(stream: NodeJS.WriteStream, exit: (code: number) => void = process.exit): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') exit(0);
    else throw err;
  });
}

export async function main(argv: string[]): Promise<number> {
  const { args, debug, ep } = takeGlobalOptions(argv);
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(`kontext: unknown command '${name}'; use ${Object.keys(COMMANDS).join(', ')} (kontext --help)`);
    return 2;
  }
  let restore = () => {};
  try {
    if (ep === null) throw new UserError('--ep needs a value: cpu, webgpu or cuda');
    if (ep !== undefined) {
      const { parseExecutionProvider, useExecutionProvider } = await import('./ep.ts');
      restore = await useExecutionProvider(parseExecutionProvider(ep));
    }
    return await (await command.load()).default.run(rest);
  } catch (err) {
    return reportError(err, name, debug);
  } finally {
    restore();
  }
}
