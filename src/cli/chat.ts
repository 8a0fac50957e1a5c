// `kontext chat IMAGE --out DIR`: the interactive loop of the reference CLI. Instructions come from stdin, one per
// line; each edits the current image and its result becomes the current image, saved as DIR/001.png, 002.png, ...
// (the input as 000.png) with one line per result in DIR/history.jsonl — and, where a result is the world grey of a
// picture in colour the next edit is made on (it greyed one, or edited a grey whose colour it knew), that picture as
// DIR/001-color.png, ... Commands between instructions set the
// seed, steps, guidance, candidates and retries, or step back (chat-commands.ts).
//
// On a terminal a mistake is reported and the loop goes on; from a pipe or a file (a script) it stops with exit 2,
// so that a script does not go on editing with settings it did not ask for.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { UserError } from '../errors.ts';
import type { RGBImage } from '../image/rgb.ts';
import { denoiseProgress } from '../progress.ts';
import { describeMadeAs } from '../session/format.ts';
import { madeBy } from '../session/editor.ts';
import { checkEditPrompt, loadSessionModel, type SessionModel } from '../session/model.ts';
import type { MadeAs } from '../session/types.ts';
import {
  intArg,
  numArg,
  parseCommand,
  printPromptNote,
  printTransparencyNotes,
  readInputImage,
  seedArg,
  transparentInputs,
  unshownNote,
  writeOutput,
} from './args.ts';
import { MAX_CANDIDATES, MAX_RETRIES } from '../mini/config.ts';
import { CHAT_COMMANDS, GUIDANCE_RANGE, parseChatLine } from './chat-commands.ts';
import type { Command } from './main.ts';

const HELP = `usage: kontext chat IMAGE --out DIR [options]          (then type instructions, one per line)

Edit an image step by step: each line read from stdin is an instruction for the current image, and the result
becomes the current image. Results are saved as DIR/001.png, 002.png, ... (the input as DIR/000.png), and
DIR/history.jsonl has one line per result (file, parent, instruction, seed, steps, guidance, candidates, retries,
model, seconds, color). A result that greyed its picture, or edited a grey picture whose colour the chat knew, is
the world grey of a picture in colour: the next edit is made on that and greyed again, and it is saved beside the
result as DIR/001-color.png, ... (its "color").

${CHAT_COMMANDS}

  --out DIR       the folder for the results (created if missing; must be empty unless --force)
  --force         write into a folder that is not empty (numbered files are replaced)
  --model SPEC    mini (default, the embedded model), mini:DIR, identity, noise
  --seed S        the seed to start with (default: a new random seed for each edit)
  --steps N       denoising steps to start with (default: the model's)
  --guidance G    guidance scale to start with, ${GUIDANCE_RANGE[0]}-${GUIDANCE_RANGE[1]} (default: the model's)
  --candidates N  best of N to start with: sample N answers, keep the one the model finds most likely,
                  1-${MAX_CANDIDATES} (kontext-mini only; default the model's, 1)
  --retries N     to start with: sample again, at the next seeds, up to N times where the answer does not show the
                  edit, 0-${MAX_RETRIES} (kontext-mini only; default the model's)
  --json          one JSON line per result on stdout (the history.jsonl line)
  --quiet         no progress line and no prompt

On a terminal a mistaken line is reported and the loop goes on; from a pipe it stops with exit 2.

Example:
  printf 'make the circle blue\\n/s 7\\nmake it night\\n/undo\\nremove the star\\n' \\
    | kontext chat photo.png --out steps/`;

interface Settings {
  seed: number | null;
  steps?: number;
  guidance?: number;
  candidates?: number;
  retries?: number;
}

/** One result, as history.jsonl and --json have it. */
interface Result {
  n: number;
  file: string;
  /** the result this one edited (0: the input) */
  parent: number;
  instruction: string;
  seed: number;
  steps: number | null;
  guidance: number | null;
  /** samples the answer was chosen from; null for a model without best of n */
  candidates: number | null;
  /** samples the model could draw again where the answer did not show the edit; null for a model without them */
  retries: number | null;
  model: string;
  width: number;
  height: number;
  seconds: number;
  /** what the model made of the instruction where not the instruction as given (several edits); null: as given */
  madeAs: MadeAs | null;
  /** the edits (as made) whose answer showed less of them than all, as the editor reads them, after every try */
  unshown: string[];
  /** the picture in colour this result is the world grey of (NNN-color.png), which the next edit is made on; null
   *  where it is none's */
  color: string | null;
}

const name = (n: number, suffix = '') => `${String(n).padStart(3, '0')}${suffix}.png`;

function checkOutFolder(out: string | undefined, force: boolean): string {
  if (!out) throw new UserError('--out DIR is required: the folder for the numbered results (001.png, 002.png, ...)');
  if (existsSync(out)) {
    if (!statSync(out).isDirectory())
      throw new UserError(`--out ${out} is a file; give a folder for the numbered results`);
    if (readdirSync(out).length && !force)
      throw new UserError(
        `--out ${out} is not empty; choose a new folder, or pass --force to replace its numbered files`,
      );
  }
  return out;
}

const command: Command = {
  async run(argv) {
    const s = { type: 'string' } as const;
    const parsed = parseCommand(argv, HELP, {
      out: s,
      model: s,
      seed: s,
      steps: s,
      guidance: s,
      candidates: s,
      retries: s,
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
    });
    if (!parsed) return 0;
    const { values: v, positionals } = parsed;
    if (positionals.length !== 1) {
      throw new UserError(
        positionals.length
          ? `unexpected argument '${positionals[1]}': give one image; instructions come from stdin`
          : "give the image to edit: kontext chat photo.png --out steps/ (see 'kontext chat --help')",
      );
    }
    // everything is checked before the model is loaded
    const settings: Settings = {
      seed: seedArg(v.seed) ?? null,
      steps: intArg('--steps', v.steps, 1, 1000),
      guidance: numArg('--guidance', v.guidance, ...GUIDANCE_RANGE),
      candidates: intArg('--candidates', v.candidates, 1, MAX_CANDIDATES),
      retries: intArg('--retries', v.retries, 0, MAX_RETRIES),
    };
    const input = await readInputImage(positionals[0]);
    const out = checkOutFolder(v.out, !!v.force);
    const quiet = !!(v.quiet || v.json);
    const say = (line: string) => void (quiet || console.error(line));
    if (!quiet) printTransparencyNotes(await transparentInputs([positionals[0]]));

    const model = await loadSessionModel(v.model ?? 'mini');
    await mkdir(out, { recursive: true });
    await writeOutput(input, { path: join(out, name(0)), format: 'png', force: true });
    await writeFile(join(out, 'history.jsonl'), '');
    const tty = !!process.stdin.isTTY;
    say(
      `editing ${positionals[0]} with ${model.name}; results go to ${join(out, '001.png')}, ` +
        `...${tty ? ' Type an instruction (/help for commands).' : ''}`,
    );
    return loop({ model, out, settings, input, json: !!v.json, quiet, tty });
  },
};

export default command;

interface LoopState {
  model: SessionModel;
  out: string;
  settings: Settings;
  input: RGBImage;
  json: boolean;
  quiet: boolean;
  tty: boolean;
}

async function loop(o: LoopState): Promise<number> {
  // the images that can be gone back to: [n, image, the instruction that made it], the input (0) first, the current
  // one last
  const stack: Made[] = [[0, o.input, undefined]];
  let next = 1;
  let lineNo = 0;
  const rl = createInterface({ input: process.stdin, terminal: false });
  const prompt = () => void (o.tty && !o.quiet && process.stderr.write('> '));
  prompt();
  for await (const line of rl) {
    lineNo++;
    try {
      const action = parseChatLine(line);
      if (action.kind === 'quit') break;
      if (action.kind === 'seed') o.settings.seed = action.seed;
      else if (action.kind === 'steps') o.settings.steps = action.steps;
      else if (action.kind === 'guidance') o.settings.guidance = action.guidance;
      else if (action.kind === 'candidates') o.settings.candidates = action.candidates;
      else if (action.kind === 'retries') o.settings.retries = action.retries;
      else if (action.kind === 'help') console.error(CHAT_COMMANDS);
      else if (action.kind === 'undo') {
        if (stack.length === 1) throw new UserError('nothing to undo: this is the input image');
        stack.pop();
        if (!o.quiet) console.error(`back to ${name(stack.at(-1)![0])}`);
      } else if (action.kind === 'edit') {
        const r = await edit(o, stack.at(-1)!, next, action.instruction);
        stack.push([r.result.n, r.image, madeBy(r.result), r.color]);
        next++;
        console.log(o.json ? JSON.stringify(r.result) : describe(r.result));
      }
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      if (!o.tty) throw new UserError(`line ${lineNo}: ${err.message}`);
      console.error(`error: ${err.message}`);
    }
    prompt();
  }
  rl.close();
  return 0;
}

/** An image of the chat: its number, the image, and the instruction that made it (none for the input). */
/** (and, where the image is its world grey, the image in colour the next edit is made on: SessionEditRequest.color) */
type Made = [n: number, image: RGBImage, instruction: string | undefined, color?: RGBImage];

async function edit(
  o: LoopState,
  [parent, image, previous, color]: Made,
  n: number,
  instruction: string,
): Promise<{ result: Result; image: RGBImage; color?: RGBImage }> {
  const seed = o.settings.seed ?? Math.floor(Math.random() * 2 ** 31);
  if (!o.quiet)
    printPromptNote(await checkEditPrompt(o.model, instruction, 1, previous, async () => image, color !== undefined));
  let inColor: RGBImage | undefined;
  const bar = denoiseProgress({ quiet: o.quiet });
  const t0 = performance.now();
  let madeAs: MadeAs | null = null;
  let [unshown, tries]: [string[], number] = [[], 1];
  const out = await o.model.edit({
    prompt: instruction,
    images: [image],
    width: image.width,
    height: image.height,
    seed,
    numInferenceSteps: o.settings.steps,
    guidanceScale: o.settings.guidance,
    candidates: o.settings.candidates,
    retries: o.settings.retries,
    previous,
    color,
    onColor: (c) => {
      inColor = c;
    },
    onStep: bar.onStep,
    onMade: (made) => {
      madeAs = made;
    },
    onUnshown: (edits, n) => {
      [unshown, tries] = [edits, n];
    },
  });
  bar.done();
  const seconds = (performance.now() - t0) / 1000;
  const file = join(o.out, name(n));
  await writeOutput(out, { path: file, format: 'png', force: true });
  // the picture in colour behind a grey answer, kept with it (a chat read back from its files has it)
  let colorFile: string | null = null;
  if (inColor) {
    colorFile = join(o.out, name(n, '-color'));
    await writeOutput(inColor, { path: colorFile, format: 'png', force: true });
  }
  const result: Result = {
    n,
    file,
    parent,
    instruction,
    seed,
    steps: o.settings.steps ?? o.model.defaults?.numInferenceSteps ?? null,
    guidance: o.settings.guidance ?? o.model.defaults?.guidanceScale ?? null,
    candidates: o.settings.candidates ?? o.model.defaults?.candidates ?? null,
    retries: o.settings.retries ?? o.model.defaults?.retries ?? null,
    model: o.model.name,
    width: out.width,
    height: out.height,
    seconds,
    madeAs,
    unshown,
    color: colorFile,
  };
  // an edit no try's answer showed all of: said, with what may make it
  if (unshown.length && !o.quiet)
    console.error(`note: ${unshownNote(unshown, tries, 'another seed (/s N), or more tries (/r N), may make it')}`);
  await appendFile(join(o.out, 'history.jsonl'), `${JSON.stringify(result)}\n`); // the record follows its image
  return { result, image: out, ...(inColor ? { color: inColor } : {}) };
}

function describe(r: Result): string {
  const knobs = [
    `seed ${r.seed}`,
    r.steps !== null && `${r.steps} steps`,
    r.guidance !== null && `guidance ${r.guidance}`,
    r.candidates !== null && r.candidates > 1 && `best of ${r.candidates}`,
    r.retries !== null && r.retries > 0 && `retries ${r.retries}`,
  ]
    .filter(Boolean)
    .join(', ');
  const made = r.madeAs ? `, ${describeMadeAs(r.madeAs)}` : '';
  return `${r.file}: "${r.instruction}" on ${name(r.parent)} (${knobs}${made}, ${r.seconds.toFixed(2)} s)`;
}
