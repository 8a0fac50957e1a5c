// The model interface of the benchmark, and the registry that turns a --model spec into a model.
//
// A model takes a prompt and 0..n input images (0 for text-to-image, 1 for editing, 2 for style reference:
// content then exemplar) and returns one image. Built-ins are baselines that bracket every metric:
//
//   oracle     returns the exact target (needs ground truth: synthetic data only) -> 100% success, max PSNR
//   identity   returns the first input unchanged (blank for text-to-image)      -> 0% success, perfect preservation
//   noise      uniform random pixels, seeded by the request                      -> ~0 everywhere
//
// Other models plug in with registerModel(prefix, factory) (see REGISTRATION POINT at the end of this file); the
// spec "prefix:arg" calls the factory with "arg". The Kontext pipeline is meant to register itself as `kontext`,
// used as `kontext bench run --model kontext:<checkpoint path>`.

import { createImage, type RGBImage } from '../image/rgb.ts';
import { UserError } from '../errors.ts';
import { Rng } from '../engine/random.ts';

export interface EditRequest {
  prompt: string;
  images: RGBImage[];
  width: number;
  height: number;
  seed: number;
}

export interface EditModel {
  name: string;
  edit(req: EditRequest): Promise<RGBImage>;
}

/**
 * What the runner lets a model see besides the request. `groundTruth()` is the side channel of the oracle: the
 * exact target of the request being run, or null when the dataset has none (the real KontextBench).
 */
export interface ModelContext {
  groundTruth(): RGBImage | null;
}

export type ModelFactory = (arg: string, ctx: ModelContext) => EditModel | Promise<EditModel>;

const REGISTRY = new Map<string, { factory: ModelFactory; help: string }>();

/** Register a model family under `prefix` (spec `prefix` or `prefix:arg`). Later registrations replace earlier ones. */
export function registerModel(prefix: string, factory: ModelFactory, help = ''): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(prefix))
    throw new Error(`model prefix '${prefix}' must be lower-case letters, digits, - or _`);
  REGISTRY.set(prefix, { factory, help });
}

export function knownModels(): { prefix: string; help: string }[] {
  return [...REGISTRY.entries()].map(([prefix, { help }]) => ({ prefix, help }));
}

/** Turn a spec like "oracle", "noise" or "kontext:/models/dev" into a model. */
export async function resolveModel(spec: string, ctx: ModelContext): Promise<EditModel> {
  const colon = spec.indexOf(':');
  const prefix = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  const entry = REGISTRY.get(prefix);
  if (!entry) {
    const known = knownModels()
      .map((m) => m.prefix)
      .join(', ');
    throw new UserError(
      `unknown model '${spec}'; known models: ${known} ('kontext models' describes them; other models register ` +
        `with registerModel() in src/bench/model.ts)`,
    );
  }
  return entry.factory(arg, ctx);
}

// ---- built-in baselines ----------------------------------------------------------------------------------------

function copy(img: RGBImage): RGBImage {
  return { width: img.width, height: img.height, data: img.data.slice() };
}

registerModel(
  'oracle',
  (_arg, ctx) => ({
    name: 'oracle',
    async edit() {
      const t = ctx.groundTruth();
      if (!t)
        throw new UserError(
          'the oracle model needs ground-truth targets; this dataset has none (use identity or a real model)',
        );
      return copy(t);
    },
  }),
  'the exact ground-truth target (synthetic datasets only)',
);

registerModel(
  'identity',
  () => ({
    name: 'identity',
    async edit(req) {
      const first = req.images[0];
      return first ? copy(first) : createImage(req.width, req.height, [128, 128, 128]);
    },
  }),
  'returns the first input image unchanged (mid-gray for text-to-image)',
);

registerModel(
  'noise',
  () => ({
    name: 'noise',
    async edit(req) {
      const rng = new Rng(req.seed);
      const img = createImage(req.width, req.height);
      for (let i = 0; i < img.data.length; i++) img.data[i] = rng.int(256);
      return img;
    },
  }),
  'uniform random pixels, seeded by the request',
);

// ---- REGISTRATION POINT for real models ------------------------------------------------------------------------
// Register further models here (or from any module imported before resolveModel). Factories may be async, so a
// heavy pipeline is only loaded when asked for, e.g. for the Kontext pipeline:
//
//   registerModel('kontext', async (checkpoint, ctx) => (await import('../pipeline/bench-model.ts')).load(checkpoint),
//     'FLUX.1 Kontext from a checkpoint folder: kontext:<path>');
//
// The model receives EditRequest.images in the dataset's order (style reference: content, then exemplar) and must
// return an image of EditRequest.width x EditRequest.height (other sizes are resized, nearest, and flagged).

/** kontext-mini through its editor (as `kontext edit` runs it), with or without keeping the input's pixels. */
function miniModel(preserve: boolean) {
  return async (dir: string) => {
    const { MiniEditor } = await import('../mini/editor.ts');
    const { EMBEDDED_MODEL } = await import('../mini/embedded.ts');
    const editor = await MiniEditor.load(dir || EMBEDDED_MODEL);
    const name = `kontext-mini${preserve ? '' : '-raw'}`;
    return {
      name: dir ? `${name} (${dir})` : name,
      async edit(req: EditRequest) {
        return (
          await editor.edit({
            prompt: req.prompt,
            image: req.images,
            seed: req.seed,
            width: req.width,
            height: req.height,
            preserve: preserve ? undefined : false,
          })
        ).image;
      },
    };
  };
}

registerModel('mini', miniModel(true), 'kontext-mini, the embedded model (mini:<folder> for another trained one)');
registerModel(
  'mini-raw',
  miniModel(false),
  "kontext-mini without keeping the input's pixels outside the edit: the transformer's own pixels everywhere",
);

registerModel(
  'ae-ceiling',
  async (dir, ctx) => {
    const { MiniEditor } = await import('../mini/editor.ts');
    const { EMBEDDED_MODEL } = await import('../mini/embedded.ts');
    const editor = await MiniEditor.load(dir || EMBEDDED_MODEL);
    const S = editor.resolution;
    return {
      name: 'ae-ceiling',
      async edit(req) {
        const t = ctx.groundTruth();
        if (!t) throw new UserError('ae-ceiling needs ground-truth targets (synthetic datasets only)');
        if (t.width !== S || t.height !== S)
          throw new UserError(`ae-ceiling: the dataset must be at the model's ${S} px`);
        const [out] = await editor.pipe.roundTrip([t]);
        const input = req.images[0];
        if (!input) return out!;
        return editor.answerAs(req.prompt, out!, input);
      },
    };
  },
  "diagnostic: the exact target through kontext-mini's autoencoder and its output step (keeping the input's " +
    'pixels outside the edit, when the model does) (sees ground truth): the best any model in this latent space can score',
);
