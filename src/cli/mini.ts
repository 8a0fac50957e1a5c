// `kontext edit IMAGE... "instruction"` and `kontext generate "prompt"` with the embedded model (kontext-mini,
// models/kontext-mini) or another trained one (--model DIR). Images of any size: letterboxed to the model's
// square and the answer returned at the first image's size and aspect (src/mini/fit.ts).

import { existsSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { readImage, writePng, type RGBImage } from '../image/rgb.ts';
import { EMBEDDED_MODEL, MiniEditor } from '../mini/editor.ts';
import { Progress } from '../progress.ts';

export interface MiniCliOptions {
  model?: string;
  images: string[];
  prompt: string;
  out: string;
  seed?: number;
  steps?: number;
  guidance?: number;
  width?: number;
  height?: number;
  json?: boolean;
  quiet?: boolean;
}

async function readInput(path: string): Promise<RGBImage> {
  if (!existsSync(path)) throw new UserError(`input image ${path} does not exist`);
  try {
    return await readImage(path);
  } catch (e) {
    throw new UserError(`cannot read ${path} as an image (PNG, JPEG, WebP…): ${(e as Error).message}`);
  }
}

export async function runMini(o: MiniCliOptions): Promise<number> {
  const dir = o.model ?? EMBEDDED_MODEL;
  if (!existsSync(dir)) throw new UserError(`model folder ${dir} does not exist${o.model ? '' : ' (the embedded model ships in models/kontext-mini; is this a full checkout?)'}`);
  const images = await Promise.all(o.images.map(readInput));
  const t0 = performance.now();
  const editor = await MiniEditor.load(dir);
  const loadSeconds = (performance.now() - t0) / 1000;
  let bar: Progress | null = null;
  const r = await editor.edit({
    prompt: o.prompt,
    image: images,
    seed: o.seed,
    numInferenceSteps: o.steps,
    guidanceScale: o.guidance,
    width: o.width,
    height: o.height,
    onStep: (step, total) => {
      bar ??= new Progress(total, { label: 'denoise', quiet: o.quiet || o.json, every: 1 });
      bar.tick({}, step);
    },
  });
  (bar as Progress | null)?.done();
  await writePng(r.image, o.out);
  const seconds = (performance.now() - t0) / 1000;
  if (o.json) console.log(JSON.stringify({ out: o.out, width: r.image.width, height: r.image.height, seed: r.seed, model: dir, loadSeconds, seconds }));
  else console.log(`wrote ${o.out} (${r.image.width}x${r.image.height}, seed ${r.seed}, ${seconds.toFixed(2)} s)`);
  return 0;
}
