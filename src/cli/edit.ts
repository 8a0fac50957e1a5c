// `kontext edit`: edit images from words. By default with the embedded model (kontext-mini, see mini.ts); with
// --transformer, or --model naming a diffusers FLUX.1 Kontext folder, the released FLUX.1 Kontext [dev] checkpoint:
// the prompt is encoded by its T5-XXL and CLIP-L text encoders (--prompt), or comes as embeddings (--prompt-embeds).
//
// Every argument, file and image is checked before a model is loaded, in this order: options and numbers, input
// images and the sizes they give, the output file, the prompt embeddings, the checkpoints' headers (configuration,
// keys, shapes, tokenizers, memory). Only then are the weights read: the text encoders first, released before the
// transformer loads (src/pipeline/load.ts).

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { MAX_TARGET_PIXELS, MAX_TARGET_SIDE, REFERENCE_AREA, SIZE_MULTIPLE } from '../image/preprocess.ts';
import { checkEmbeds, DEFAULTS, LIMITS, planSize } from '../pipeline/kontext.ts';
import { inspectKontext, openKontext } from '../pipeline/load.ts';
import { loadPromptEmbeds, type PromptEmbeds } from '../prompt/embeddings.ts';
import { T5_MAX_LENGTH } from '../prompt/t5-tokenizer.ts';
import {
  checkOutput,
  intArg,
  MAX_SEED,
  numArg,
  printTransparencyNotes,
  readInputImage,
  transparentInputs,
  refuseOptions,
  requirePath,
  seedArg,
  writeOutput,
  parseCommand,
} from './args.ts';
import { kontextFileArgs, requireFiles, TEXT_ENCODER_HELP, TEXT_ENCODER_OPTIONS, weightsArg } from './kontext-files.ts';
import type { Command } from './main.ts';
import { MAX_CANDIDATES, MAX_RETRIES } from '../mini/config.ts';
import { runMini } from './mini.ts';

const MAX_STEPS = LIMITS.numInferenceSteps[1];
const MAX_MP = MAX_TARGET_PIXELS / (1024 * 1024);
const MIN_AREA = SIZE_MULTIPLE * SIZE_MULTIPLE;
const HELP = `usage: kontext edit IMAGE [IMAGE2] "instruction" --out <image> [options]       (embedded model)
       kontext edit --model <FLUX.1-Kontext-dev dir> --prompt "instruction" [--image <file>]... --out <image>
       kontext edit --transformer <file|dir> --ae <file|dir> --clip <file> --t5 <file> --tokenizers <dir>
                    --prompt "..." ...
       kontext edit --transformer <file|dir> --ae <file|dir> --prompt-embeds <file> [--image <file>]... --out <image>

  Both:
  --out FILE      the image to write: .png, .jpg or .webp (the extension sets the format); its folder must exist,
                  and it must not be one of the inputs
  --force         replace --out if it exists
  --steps N       denoising steps
  --guidance G    guidance scale, ${LIMITS.guidanceScale[0]}-${LIMITS.guidanceScale[1]}
  --seed S        noise seed, 0-${MAX_SEED} (default: random, printed)
  --json          print one JSON line (out, size, seed)
  --quiet         no progress line
  --debug         on an internal error, print the stack trace (or set KONTEXT_DEBUG=1)

  With the embedded model (kontext-mini, ${'models/kontext-mini'}):
  IMAGE           the image to edit (any size: letterboxed to the model's square, answered at IMAGE's size)
  IMAGE2          a second image: style reference ("make it in the style of the second image"); its style is
                  read as its shapes are drawn (or, where it shows none of the world's, by the model's own loss)
                  and the edit made as that style named (src/mini/style-reference.ts)
  "instruction"   one edit, as the model learnt them; several ("make the circle blue and the background red",
                  "…, then …") are made one after the other, each on the last answer (seeds S, S+1, …)
  --model DIR     another kontext-mini folder (a \`kontext train flow\` run's model/)
  --prompt P      the instruction (instead of the last positional argument)
  --candidates N  sample N answers (seeds S … S+N−1) and keep the one the model finds most likely, 1-${MAX_CANDIDATES}
                  (default: the model's setting; N times slower, src/mini/rerank.ts)
  --retries N     sample again, at the next seeds, up to N times while the answer does not show the edit the
                  output step reads (a shape recoloured, moved, resized, restyled, taken away or added, a word
                  replaced, the picture greyed or relit, the background changed), 0-${MAX_RETRIES} (default: the
                  model's setting)
  --no-preserve   the transformer's pixels everywhere (default: IMAGE's own pixels are kept where the model
                  changed nothing, src/mini/preserve.ts)
  --no-read-style with IMAGE2: both images to the transformer as context and the instruction as given
  --one-pass      put the creature in a new scene in one pass (default: made as edits of the picture, its shapes
                  removed, the background changed, the creature moved, the shapes named added; a note says so)

  With a released FLUX.1 Kontext checkpoint:
${TEXT_ENCODER_HELP}
  --prompt P      the instruction, encoded by T5-XXL and CLIP-L (released before the transformer loads)
  --prompt-embeds instead of --prompt: safetensors with txt/vec (kontext encode, the BFL CLI's output/noise.sft) or
                  prompt_embeds/pooled_prompt_embeds
  --image         context image (repeat for several; none = text-to-image)
  --steps N       1-${MAX_STEPS} (default ${DEFAULTS.numInferenceSteps}); --guidance default ${DEFAULTS.guidanceScale}
  --width W --height H   output size, multiples of ${SIZE_MULTIPLE}, at most ${MAX_TARGET_SIDE} per side and
                  ${MAX_MP} MP (default: the first image's bucket)
  --weights f32|int8|int4   weight format of the transformer and T5 (default f32; int4 makes the 12B model fit in
                  ~12 GB; CLIP-L and the autoencoder stay f32)
  --area A        bucket area in pixels, ${MIN_AREA}-${MAX_TARGET_PIXELS} (default ${REFERENCE_AREA} = 1024²)`;

const SEE_HELP = "see 'kontext edit --help'";
const RELEASED_ONLY = [
  'ae',
  'prompt-embeds',
  'width',
  'height',
  'weights',
  'area',
  'clip',
  't5',
  'tokenizers',
] as const;

/** A diffusers FLUX checkpoint folder (not a kontext-mini folder, which holds transformer.safetensors). */
export function isFluxFolder(dir: string | undefined): boolean {
  const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
  return (
    dir !== undefined && isDir(dir) && (existsSync(join(dir, 'model_index.json')) || isDir(join(dir, 'transformer')))
  );
}

type Values = Record<string, string | boolean | string[] | undefined>;

/** The embedded model: IMAGE [IMAGE2] "instruction". */
async function editMini(v: Values, positionals: string[]): Promise<number> {
  refuseOptions(
    v,
    RELEASED_ONLY,
    'only with --transformer (a released FLUX.1 Kontext checkpoint); ' +
      "the embedded model answers at the input image's size",
  );
  const prompt = (v.prompt as string | undefined) ?? positionals.at(-1);
  const images = [
    ...((v.image as string[] | undefined) ?? []),
    ...(v.prompt === undefined ? positionals.slice(0, -1) : positionals),
  ];
  if (prompt === undefined || !images.length)
    throw new UserError(
      `give the image and the instruction: kontext edit photo.png "make the circle blue" --out out.png (${SEE_HELP})`,
    );
  const missing = images.find((p) => !existsSync(p));
  if (missing !== undefined && v.prompt === undefined && existsSync(prompt))
    throw new UserError(
      `'${missing}' is not a file and '${prompt}' is: the images come first, the instruction last: ` +
        `kontext edit ${prompt} "${missing}" --out out.png`,
    );
  return runMini({
    model: v.model as string | undefined,
    images,
    prompt,
    out: v.out as string,
    force: v.force as boolean | undefined,
    seed: seedArg(v.seed as string | undefined),
    steps: intArg('--steps', v.steps as string | undefined, 1, 1000),
    guidance: numArg('--guidance', v.guidance as string | undefined, LIMITS.guidanceScale[0], LIMITS.guidanceScale[1]),
    candidates: intArg('--candidates', v.candidates as string | undefined, 1, MAX_CANDIDATES),
    retries: intArg('--retries', v.retries as string | undefined, 0, MAX_RETRIES),
    json: v.json as boolean | undefined,
    quiet: v.quiet as boolean | undefined,
    preserve: v['no-preserve'] ? false : undefined,
    readStyle: v['no-read-style'] ? false : undefined,
    inParts: v['one-pass'] ? false : undefined,
  });
}

/** A released checkpoint: --model DIR or --transformer, --ae, ...; --prompt or --prompt-embeds; --image... */
async function editReleased(v: Values, positionals: string[]): Promise<number> {
  const str = (k: string) => v[k] as string | undefined;
  // 1. options and numbers
  refuseOptions(v, ['no-preserve'], 'only with the embedded model (a released checkpoint keeps no pixels of its own)');
  refuseOptions(
    v,
    ['candidates', 'retries', 'no-read-style', 'one-pass'],
    'only with the embedded model (kontext-mini)',
  );
  if (positionals.length)
    throw new UserError(
      `unexpected argument '${positionals[0]}': with a released checkpoint, ` +
        `give images with --image and the instruction with --prompt (${SEE_HELP})`,
    );
  const prompt = str('prompt');
  if ((prompt === undefined) === (str('prompt-embeds') === undefined)) {
    throw new UserError(
      `give the instruction as --prompt "..." (encoded by the checkpoint's T5 and CLIP text encoders) ` +
        `or as --prompt-embeds FILE${prompt === undefined ? '' : ', not both'} (${SEE_HELP})`,
    );
  }
  if (prompt === undefined)
    refuseOptions(
      v,
      ['clip', 't5', 'tokenizers'],
      'only with --prompt (the text encoders); --prompt-embeds are already encoded',
    );
  if (!v.out)
    throw new UserError(
      `--out is required with ${v.transformer ? '--transformer' : '--model'}: ` +
        `the image file to write (.png, .jpg or .webp) (${SEE_HELP})`,
    );
  const files = kontextFileArgs(v, { image: true, text: prompt !== undefined });
  const weights = weightsArg(str('weights'));
  const steps = intArg('--steps', str('steps'), LIMITS.numInferenceSteps[0], LIMITS.numInferenceSteps[1]);
  const guidance = numArg('--guidance', str('guidance'), LIMITS.guidanceScale[0], LIMITS.guidanceScale[1]);
  const seed = seedArg(str('seed'));
  const width = intArg('--width', str('width'), SIZE_MULTIPLE, MAX_TARGET_SIDE);
  const height = intArg('--height', str('height'), SIZE_MULTIPLE, MAX_TARGET_SIDE);
  const area = numArg('--area', str('area'), SIZE_MULTIPLE * SIZE_MULTIPLE, MAX_TARGET_PIXELS);

  // 2. images and the sizes they give (bucket, output: multiples of 16, within the limits)
  const paths = (v.image as string[] | undefined) ?? [];
  const images = [];
  for (const p of paths) images.push(await readInputImage(p));
  const transparent = await transparentInputs(paths);
  if (!v.quiet && !v.json) printTransparencyNotes(transparent);
  const { bucket, target } = planSize(images, { width, height }, area ?? REFERENCE_AREA);

  // 3. the output file
  const out = checkOutput(str('out'), { inputs: paths, force: v.force as boolean | undefined });

  // 4. prompt embeddings, then the checkpoints' headers: configurations, every key and shape, tokenizers, that the
  //    parts fit together, and memory (the text encoders and the transformer, each on its own)
  let embeds: PromptEmbeds | undefined;
  if (prompt === undefined) {
    requirePath('--prompt-embeds', str('prompt-embeds')!);
    embeds = await loadPromptEmbeds(str('prompt-embeds')!);
  }
  requireFiles(files);
  const tokensOf = (s: { width: number; height: number }) => (s.width / 16) * (s.height / 16);
  const tokens = (embeds?.tokens ?? T5_MAX_LENGTH) + tokensOf(target) + (bucket ? images.length * tokensOf(bucket) : 0);
  const quiet = !!(v.quiet || v.json);
  const status = (s: string) => void (quiet || process.stderr.write(s));
  const options = {
    weights,
    area,
    tokens,
    textEncoder: prompt !== undefined,
    onProgress: (what: string, done: number, total: number) =>
      status(`\rloading ${what} ${done}/${total}${done === total ? '\n' : ''}`),
  };
  const inspected = await inspectKontext(files, options);
  if (embeds) checkEmbeds(embeds, inspected.params);

  // 5. load and run: text encoders (if --prompt), released; then the transformer; the autoencoder
  const pipe = await openKontext(inspected, options);
  const r = await pipe.generate({
    ...(embeds ? { promptEmbeds: embeds } : { prompt }),
    image: images,
    numInferenceSteps: steps,
    guidanceScale: guidance,
    seed,
    width,
    height,
    onProgress: (e) => status(`\r${e.stage} ${e.step}/${e.total}   `),
  });
  status('\n');
  await writeOutput(r.image, out);
  if (v.json)
    console.log(
      JSON.stringify({
        out: out.path,
        width: r.width,
        height: r.height,
        seed: r.seed,
        transparentInputs: transparent.map((t) => t.path),
      }),
    );
  else console.log(`wrote ${out.path} (${r.width}x${r.height}, seed ${r.seed})`);
  return 0;
}

const command: Command = {
  async run(argv) {
    const parsed = parseCommand(argv, HELP, {
      model: { type: 'string' },
      prompt: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      force: { type: 'boolean' },
      transformer: { type: 'string' },
      ae: { type: 'string' },
      'prompt-embeds': { type: 'string' },
      ...TEXT_ENCODER_OPTIONS,
      image: { type: 'string', multiple: true },
      out: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      seed: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      weights: { type: 'string' },
      area: { type: 'string' },
      'no-preserve': { type: 'boolean' },
      'no-read-style': { type: 'boolean' },
      'one-pass': { type: 'boolean' },
      candidates: { type: 'string' },
      retries: { type: 'string' },
    });
    if (!parsed) return 0;
    const { values: v, positionals } = parsed;
    return v.transformer === undefined && !isFluxFolder(v.model)
      ? editMini(v, positionals)
      : editReleased(v, positionals);
  },
};

export default command;
