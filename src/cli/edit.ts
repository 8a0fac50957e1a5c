// `kontext edit`: edit images from words. By default with the embedded model (kontext-mini, see mini.ts); with
// --transformer, the released FLUX.1 Kontext [dev] checkpoint the user names (prompt embeddings from a file until
// the T5/CLIP encoders land).

import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import { loadAutoEncoder } from '../autoencoder/load.ts';
import type { WeightFormat } from '../engine/index.ts';
import { writePng } from '../image/rgb.ts';
import { DEFAULTS, KontextPipeline } from '../pipeline/kontext.ts';
import { loadPromptEmbeds } from '../prompt/embeddings.ts';
import { loadFlux } from '../transformer/load.ts';
import type { Command } from './main.ts';
import { runMini } from './mini.ts';

const HELP = `usage: kontext edit IMAGE [IMAGE2] "instruction" --out <png> [options]       (embedded model)
       kontext edit --transformer <file|dir> --ae <file|dir> --prompt-embeds <file> [--image <file>]... --out <png>

  With the embedded model (kontext-mini, ${'models/kontext-mini'}):
  IMAGE           the image to edit (any size: letterboxed to the model's square, answered at IMAGE's size)
  IMAGE2          a second image: style reference ("make it in the style of the second image")
  --model DIR     another kontext-mini folder (a \`kontext train flow\` run's model/)
  --prompt P      the instruction (instead of the last positional argument)
  --json          print one JSON line (out, size, seed, timings)

  With a released FLUX.1 Kontext checkpoint:

  --transformer   FLUX.1 Kontext transformer: flux1-kontext-dev.safetensors, or a diffusers folder
  --ae            autoencoder: ae.safetensors, or a diffusers vae/ folder
  --prompt-embeds safetensors with txt/vec (the BFL CLI's output/noise.sft) or prompt_embeds/pooled_prompt_embeds
                  (T5/CLIP text encoders are not implemented yet)
  --image         context image (repeat for several; none = text-to-image)
  --out           output PNG
  --steps N       denoising steps (default ${DEFAULTS.numInferenceSteps})
  --guidance G    distilled guidance (default ${DEFAULTS.guidanceScale})
  --seed S        noise seed (default: random, printed)
  --quiet         no progress line
  --width W --height H   output size (default: the first image's bucket)
  --weights f32|int8|int4   weight format (default f32; int4 makes the 12B model fit in ~20 GB)
  --area A        bucket area in pixels (default 1048576 = 1024²)`;

const command: Command = {
  summary: 'edit an image (or generate one) with a Kontext checkpoint',
  async run(argv) {
    const { values: v, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        prompt: { type: 'string' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
        transformer: { type: 'string' },
        ae: { type: 'string' },
        'prompt-embeds': { type: 'string' },
        image: { type: 'string', multiple: true },
        out: { type: 'string' },
        steps: { type: 'string' },
        guidance: { type: 'string' },
        seed: { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
        weights: { type: 'string', default: 'f32' },
        area: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (v.help) {
      console.log(HELP);
      return 0;
    }
    const num = (name: string, s: string | undefined) => {
      if (s === undefined) return undefined;
      const n = Number(s);
      if (!Number.isFinite(n)) throw new UserError(`--${name} must be a number, got '${s}'`);
      return n;
    };
    if (!v.transformer) {
      const prompt = v.prompt ?? positionals.at(-1);
      const images = [...(v.image ?? []), ...(v.prompt === undefined ? positionals.slice(0, -1) : positionals)];
      if (prompt === undefined || !images.length) throw new UserError(`give the image and the instruction: kontext edit photo.png "make the circle blue" --out out.png\n\n${HELP}`);
      if (!v.out) throw new UserError(`--out is required (the PNG to write)`);
      return runMini({ model: v.model, images, prompt, out: v.out, seed: num('seed', v.seed), steps: num('steps', v.steps), guidance: num('guidance', v.guidance), json: v.json, quiet: v.quiet });
    }
    for (const k of ['transformer', 'ae', 'prompt-embeds', 'out'] as const) if (!v[k]) throw new UserError(`--${k} is required\n\n${HELP}`);
    if (!['f32', 'int8', 'int4'].includes(v.weights!)) throw new UserError(`--weights must be f32, int8 or int4, got '${v.weights}'`);
    const embeds = await loadPromptEmbeds(v['prompt-embeds']!);
    const area = num('area', v.area);
    const progress = (done: number, total: number) => process.stderr.write(`\rloading transformer ${done}/${total}`);
    const transformer = await loadFlux(v.transformer!, { weights: v.weights as WeightFormat, spill: v.weights !== 'f32', onProgress: progress });
    process.stderr.write('\n');
    const ae = await loadAutoEncoder(v.ae!);
    const pipe = new KontextPipeline(transformer, ae, null, { area });
    const r = await pipe.generate({
      promptEmbeds: embeds,
      image: v.image,
      numInferenceSteps: num('steps', v.steps),
      guidanceScale: num('guidance', v.guidance),
      seed: num('seed', v.seed),
      width: num('width', v.width),
      height: num('height', v.height),
      onProgress: (e) => process.stderr.write(`\r${e.stage} ${e.step}/${e.total}   `),
    });
    process.stderr.write('\n');
    await writePng(r.image, v.out!);
    console.log(`wrote ${v.out} (${r.width}x${r.height}, seed ${r.seed})`);
    return 0;
  },
};

export default command;
