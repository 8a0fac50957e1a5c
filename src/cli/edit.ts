// `kontext edit`: run the Kontext pipeline on checkpoints the user names.

import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import { loadAutoEncoder } from '../autoencoder/load.ts';
import type { WeightFormat } from '../engine/index.ts';
import { writePng } from '../image/rgb.ts';
import { DEFAULTS, KontextPipeline } from '../pipeline/kontext.ts';
import { loadPromptEmbeds } from '../prompt/embeddings.ts';
import { loadFlux } from '../transformer/load.ts';
import type { Command } from './main.ts';

const HELP = `usage: kontext edit --transformer <file|dir> --ae <file|dir> --prompt-embeds <file> [--image <file>]... --out <png>

  --transformer   FLUX.1 Kontext transformer: flux1-kontext-dev.safetensors, or a diffusers folder
  --ae            autoencoder: ae.safetensors, or a diffusers vae/ folder
  --prompt-embeds safetensors with txt/vec (the BFL CLI's output/noise.sft) or prompt_embeds/pooled_prompt_embeds
                  (T5/CLIP text encoders are not implemented yet)
  --image         context image (repeat for several; none = text-to-image)
  --out           output PNG
  --steps N       denoising steps (default ${DEFAULTS.numInferenceSteps})
  --guidance G    distilled guidance (default ${DEFAULTS.guidanceScale})
  --seed S        noise seed (default: random, printed)
  --width W --height H   output size (default: the first image's bucket)
  --weights f32|int8|int4   weight format (default f32; int4 makes the 12B model fit in ~20 GB)
  --area A        bucket area in pixels (default 1048576 = 1024²)`;

const command: Command = {
  summary: 'edit an image (or generate one) with a Kontext checkpoint',
  async run(argv) {
    const { values: v } = parseArgs({
      args: argv,
      options: {
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
    for (const k of ['transformer', 'ae', 'prompt-embeds', 'out'] as const) if (!v[k]) throw new UserError(`--${k} is required\n\n${HELP}`);
    if (!['f32', 'int8', 'int4'].includes(v.weights!)) throw new UserError(`--weights must be f32, int8 or int4, got '${v.weights}'`);
    const num = (name: string, s: string | undefined) => {
      if (s === undefined) return undefined;
      const n = Number(s);
      if (!Number.isFinite(n)) throw new UserError(`--${name} must be a number, got '${s}'`);
      return n;
    };
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
