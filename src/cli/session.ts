// `kontext session new|edit|list|show|undo|branch|export`: multi-turn editing sessions (src/session/) from the
// command line. Each subcommand opens the store in --data, does one thing, and prints text or, with --json, one
// JSON document. Mistakes are UserErrors: one line on stderr, exit 2.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../errors.ts';
import { exportSession } from '../session/export.ts';
import { describeMadeAs, formatSessions, formatTree } from '../session/format.ts';
import { madeBy, parentOf, SessionEditor } from '../session/editor.ts';
import { checkEditPrompt, loadSessionModel } from '../session/model.ts';
import type { RGBImage } from '../image/rgb.ts';
import { SessionStore } from '../session/store.ts';
import { MAX_CANDIDATES, MAX_RETRIES } from '../mini/config.ts';
import {
  checkOutput,
  printPromptNote,
  unshownNote,
  printTransparencyNotes,
  readInputImage,
  seedArg,
  transparentInputs,
  writeOutput,
  writeOutputBytes,
} from './args.ts';
import type { Command } from './main.ts';
import * as help from './session-help.ts';

const DEFAULT_DATA = './kontext-data';
const COMMON = { data: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

/** parseArgs with the common options; its errors become one line that points at the subcommand's --help. */
function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], sub: string, options: T) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    // node's message, less its advice about positionals that start with '-' (rarely what was meant)
    const first = (err as Error).message.split('\n')[0].split('. To specify a positional')[0];
    throw new UserError(`${first}; see 'kontext session ${sub} --help'`);
  }
}

function int(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max)
    throw new UserError(`${name} must be an integer from ${min} to ${max}, got '${v}'`);
  return Number(v);
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!v.trim() || !Number.isFinite(x) || x < 0) throw new UserError(`${name} must be a number >= 0, got '${v}'`);
  return x;
}

/** The positionals a subcommand needs, or a UserError showing its usage line. */
function args(positionals: string[], names: string[], usage: string): string[] {
  if (positionals.length < names.length) throw new UserError(`missing ${names[positionals.length]}: ${usage}`);
  if (positionals.length > names.length)
    throw new UserError(`unexpected argument '${positionals[names.length]}': ${usage}`);
  return positionals;
}

async function withStore<T>(
  data: string | undefined,
  create: boolean,
  fn: (s: SessionStore) => Promise<T>,
): Promise<T> {
  const store = await SessionStore.open(data ?? DEFAULT_DATA, { create });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

const print = (json: boolean | undefined, value: unknown, text: string) =>
  console.log(json ? JSON.stringify(value, null, 2) : text);

// ---- subcommands -----------------------------------------------------------------------------------------------

type Sub = (argv: string[]) => Promise<number>;

const newSession: Sub = async (argv) => {
  const { values: v, positionals } = parse(argv, 'new', {});
  if (v.help) {
    console.log(help.NEW_HELP);
    return 0;
  }
  if (positionals.length > 1)
    throw new UserError(`unexpected argument '${positionals[1]}': kontext session new [NAME]`);
  return withStore(v.data, true, async (store) => {
    const s = store.createSession(positionals[0]);
    print(v.json, { ...s, data: store.dir }, `created session ${s.id} in ${store.dir}`);
    return 0;
  });
};

const edit: Sub = async (argv) => {
  const { values: v, positionals } = parse(argv, 'edit', {
    image: { type: 'string', multiple: true },
    from: { type: 'string' },
    model: { type: 'string' },
    seed: { type: 'string' },
    steps: { type: 'string' },
    guidance: { type: 'string' },
    candidates: { type: 'string' },
    retries: { type: 'string' },
    width: { type: 'string' },
    height: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
  });
  if (v.help) {
    console.log(help.EDIT_HELP);
    return 0;
  }
  const [id, instruction] = args(
    positionals,
    ['SESSION', 'the instruction'],
    'kontext session edit SESSION "make the circle blue"',
  );
  const from = int(v.from, '--from', 0, Number.MAX_SAFE_INTEGER);
  const opts = {
    instruction,
    seed: seedArg(v.seed),
    steps: int(v.steps, '--steps', 1, 1000),
    guidance: num(v.guidance, '--guidance'),
    candidates: int(v.candidates, '--candidates', 1, MAX_CANDIDATES),
    retries: int(v.retries, '--retries', 0, MAX_RETRIES),
    width: int(v.width, '--width', 1, 4096),
    height: int(v.height, '--height', 1, 4096),
    from: from === undefined ? undefined : from === 0 ? null : from,
  };
  return withStore(v.data, false, async (store) => {
    // Everything that can be wrong is checked before the (slow) model load.
    const { head } = store.session(id);
    if (opts.from) store.turn(id, opts.from);
    const images: RGBImage[] = [];
    for (const path of v.image ?? []) images.push(await readInputImage(path));
    const out = v.out === undefined ? null : checkOutput(v.out, { inputs: v.image, force: v.force });
    const editor = new SessionEditor(store, await loadSessionModel(v.model ?? 'mini'));
    if (!v.json) {
      const parent = parentOf(head, opts.from);
      const edits = parent === null ? 0 : 1; // the output it edits, then the images given
      const previous = parent === null ? undefined : madeBy(store.turn(id, parent));
      // the one picture it edits, if one: the parent's output, or the image given at the start
      const picture = async () => (parent === null ? images[0]! : store.images.get(store.turn(id, parent).output));
      const color = parent !== null && store.turn(id, parent).color !== null; // its colour known: made in colour
      printPromptNote(
        await checkEditPrompt(editor.model, instruction, edits + images.length, previous, picture, color),
      );
      printTransparencyNotes(await transparentInputs(v.image ?? []));
    }
    const { turn, tries } = await editor.edit(id, { ...opts, images });
    if (turn.unshown && !v.json) console.error(`note: ${unshownNote(turn.unshown, tries ?? 1)}`);
    const file = store.images.path(turn.output);
    if (out)
      await (out.format === 'png'
        ? writeOutputBytes(await store.images.readPng(turn.output), out)
        : writeOutput(await store.images.get(turn.output), out));
    const from_ = turn.parent === null ? 'from the start' : `after turn ${turn.parent}`;
    print(
      v.json,
      { ...turn, file, out: v.out ?? null, unshown: turn.unshown ?? [] },
      `${id} turn ${turn.n} (${from_}): ${turn.width}x${turn.height}, seed ${turn.seed}, ${turn.model}, ` +
        `${turn.madeAs ? `${describeMadeAs(turn.madeAs)}, ` : ''}${turn.seconds.toFixed(2)} s -> ${v.out ?? file}`,
    );
    return 0;
  });
};

const list: Sub = async (argv) => {
  const { values: v, positionals } = parse(argv, 'list', {});
  if (v.help) {
    console.log(help.LIST_HELP);
    return 0;
  }
  args(positionals, [], 'kontext session list');
  return withStore(v.data, false, async (store) => {
    const sessions = store.listSessions();
    print(v.json, sessions, formatSessions(sessions));
    return 0;
  });
};

const show: Sub = async (argv) => {
  const { values: v, positionals } = parse(argv, 'show', {});
  if (v.help) {
    console.log(help.SHOW_HELP);
    return 0;
  }
  const [id] = args(positionals, ['SESSION'], 'kontext session show SESSION');
  return withStore(v.data, false, async (store) => {
    const session = store.session(id);
    const turns = store.turns(id);
    print(v.json, { session, current: store.lineage(id).map((t) => t.n), turns }, formatTree(session, turns));
    return 0;
  });
};

const headLine = (id: string, before: number | null, after: number | null) =>
  `${id}: head ${before ?? 'start'} -> ${after ?? 'start'}`;

const undo: Sub = async (argv) => {
  const { values: v, positionals } = parse(argv, 'undo', {});
  if (v.help) {
    console.log(help.UNDO_HELP);
    return 0;
  }
  const [id] = args(positionals, ['SESSION'], 'kontext session undo SESSION');
  return withStore(v.data, false, async (store) => {
    const before = store.session(id).head;
    const s = store.undo(id);
    print(v.json, s, headLine(id, before, s.head));
    return 0;
  });
};

const branch: Sub = async (argv) => {
  const { values: v, positionals } = parse(argv, 'branch', {});
  if (v.help) {
    console.log(help.BRANCH_HELP);
    return 0;
  }
  const [id, turnArg] = args(positionals, ['SESSION', 'TURN'], 'kontext session branch SESSION TURN');
  const n = int(turnArg, 'TURN', 0, Number.MAX_SAFE_INTEGER)!;
  return withStore(v.data, false, async (store) => {
    const before = store.session(id).head;
    const s = store.setHead(id, n === 0 ? null : n);
    print(
      v.json,
      s,
      `${headLine(id, before, s.head)}; the next edit continues from ` +
        `${s.head === null ? 'the start' : `turn ${s.head}`}`,
    );
    return 0;
  });
};

const exportCmd: Sub = async (argv) => {
  const { values: v, positionals } = parse(argv, 'export', { out: { type: 'string' } });
  if (v.help) {
    console.log(help.EXPORT_HELP);
    return 0;
  }
  const [id] = args(positionals, ['SESSION'], 'kontext session export SESSION --out DIR');
  if (!v.out) throw new UserError('missing --out DIR: the folder to write the images and history.json into');
  return withStore(v.data, false, async (store) => {
    const r = await exportSession(store, id, v.out!);
    print(v.json, r, `exported ${id} (${r.turns} turns, ${r.files} files) to ${r.dir}`);
    return 0;
  });
};

const SUBCOMMANDS: Record<string, Sub> = { new: newSession, edit, list, show, undo, branch, export: exportCmd };

const command: Command = {
  async run(argv) {
    const [sub, ...rest] = argv;
    if (!sub || sub === '--help' || sub === '-h') {
      console.log(help.USAGE);
      return sub ? 0 : 1;
    }
    const run = SUBCOMMANDS[sub];
    if (!run)
      throw new UserError(
        `unknown subcommand '${sub}'; use ${Object.keys(SUBCOMMANDS).join(', ')} (kontext session --help)`,
      );
    return run(rest);
  },
};

export default command;
