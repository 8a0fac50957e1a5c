// `kontext edit IMAGE... "instruction"` and `kontext generate "prompt"` with the embedded model (kontext-mini,
// models/kontext-mini) or another trained one (--model DIR). Images of any size: letterboxed to the model's
// square and the answer returned at the first image's size and aspect (src/mini/fit.ts).
// Everything is checked (images, the output file, the model folder) before the model is loaded.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { MAX_IMAGES, MiniEditor } from '../mini/editor.ts';
import { EMBEDDED_MODEL } from '../mini/embedded.ts';
import { denoiseProgress } from '../progress.ts';
import { describeMadeAs } from '../session/format.ts';
import {
  checkOutput,
  printPromptNote,
  unshownNote,
  printTransparencyNotes,
  readInputImage,
  transparentInputs,
  writeOutput,
} from './args.ts';

export interface MiniCliOptions {
  model?: string;
  images: string[];
  prompt: string;
  out: string;
  /** replace an existing --out */
  force?: boolean;
  seed?: number;
  steps?: number;
  guidance?: number;
  /** samples to choose from (MiniEditOptions.candidates) */
  candidates?: number;
  /** samples drawn again while the answer does not show the edit (MiniEditOptions.retries) */
  retries?: number;
  width?: number;
  height?: number;
  json?: boolean;
  quiet?: boolean;
  /** false: the transformer's pixels everywhere (MiniEditOptions.preserve) */
  preserve?: boolean;
  /** false: a style reference's images both to the transformer (MiniEditOptions.readStyle) */
  readStyle?: boolean;
  /** false: a picture from words drawn in one pass, not as its ground then each shape added (MiniEditOptions.inParts) */
  inParts?: boolean;
}

function checkModelFolder(dir: string, given: boolean): void {
  const hint = given ? '' : ' (the embedded model ships in models/kontext-mini; is this a full checkout?)';
  if (!existsSync(dir)) throw new UserError(`model folder ${dir} does not exist${hint}`);
  if (!statSync(dir).isDirectory())
    throw new UserError(
      `--model ${dir} is a file; give a kontext-mini model folder (a \`kontext train flow\` run's model/)`,
    );
  if (!existsSync(join(dir, 'config.json')))
    throw new UserError(
      `${dir} is not a kontext-mini model folder: config.json is missing ` +
        `(give a \`kontext train flow\` run's model/ folder)`,
    );
}

export async function runMini(o: MiniCliOptions): Promise<number> {
  if (o.images.length > MAX_IMAGES) {
    throw new UserError(
      `kontext-mini takes at most ${MAX_IMAGES} images ` +
        `(the image to edit and a style reference), got ${o.images.length}`,
    );
  }
  if (!o.prompt.trim())
    throw new UserError(
      o.images.length
        ? 'the instruction is empty; say what to change, e.g. "make the circle blue"'
        : 'the prompt is empty; say what to draw, e.g. "a red circle on a blue background"',
    );
  const images = [];
  for (const path of o.images) images.push(await readInputImage(path));
  const out = checkOutput(o.out, { inputs: o.images, force: o.force });
  const dir = o.model ?? EMBEDDED_MODEL;
  checkModelFolder(dir, o.model !== undefined);

  const t0 = performance.now();
  const editor = await MiniEditor.load(dir);
  const loadSeconds = (performance.now() - t0) / 1000;
  // one picture to edit: the shapes it shows, so that a shape named that is not there is said
  const seen = images.length === 1 ? await editor.shapesIn(images[0]!) : undefined;
  const check = editor.checkPrompt(o.prompt, {
    images: images.length,
    readStyle: o.readStyle,
    seen,
    inParts: o.inParts,
  });
  const transparent = await transparentInputs(o.images);
  if (!o.quiet && !o.json) {
    printPromptNote(check);
    printTransparencyNotes(transparent);
  }
  const bar = denoiseProgress({ quiet: o.quiet || o.json });
  const r = await editor.edit({
    prompt: o.prompt,
    image: images,
    seed: o.seed,
    numInferenceSteps: o.steps,
    guidanceScale: o.guidance,
    candidates: o.candidates,
    retries: o.retries,
    width: o.width,
    height: o.height,
    preserve: o.preserve,
    readStyle: o.readStyle,
    inParts: o.inParts,
    onStep: bar.onStep,
  });
  bar.done();
  // an edit no try's answer shows all of, as the output step reads it: said, with what may make it
  if (r.unshown && !o.quiet && !o.json) console.error(`note: ${unshownNote(r.unshown, r.tries ?? 1)}`);
  await writeOutput(r.image, out);
  const seconds = (performance.now() - t0) / 1000;
  if (o.json)
    console.log(
      JSON.stringify({
        out: o.out,
        width: r.image.width,
        height: r.image.height,
        seed: r.seed,
        unknownWords: r.unknownWords,
        typos: check.typos ?? [],
        otherWords: check.otherWords ?? [],
        phrasings: check.phrasings ?? [],
        note: check.note,
        edits: r.edits ?? [o.prompt],
        style: r.style ?? null,
        unshown: r.unshown ?? [],
        transparentInputs: transparent.map((t) => t.path),
        model: dir,
        loadSeconds,
        seconds,
      }),
    );
  else {
    const made = r.edits ? `${describeMadeAs({ edits: r.edits, style: r.style }, false)}, ` : '';
    console.log(`wrote ${o.out} (${r.image.width}x${r.image.height}, ${made}seed ${r.seed}, ${seconds.toFixed(2)} s)`);
  }
  return 0;
}
