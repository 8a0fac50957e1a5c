// The model a session edits with: anything with `edit(request)` (the benchmark's EditModel), plus, optionally,
// the sampling knobs a session records with each turn.
//
// `loadSessionModel(spec)` takes the benchmark's model specs (src/bench/model.ts): identity, noise, mini,
// mini:<folder>, and whatever else is registered. For kontext-mini it builds the adapter itself, because the
// benchmark's adapter does not pass steps and guidance through and a session wants them per turn.

import { existsSync } from 'node:fs';
import { knownModels, resolveModel, type EditRequest } from '../bench/model.ts';
import { UserError } from '../errors.ts';
import type { RGBImage } from '../image/rgb.ts';

export interface SessionEditRequest extends EditRequest {
  /** denoising steps; undefined = the model's default */
  numInferenceSteps?: number;
  /** guidance scale; undefined = the model's default */
  guidanceScale?: number;
  /** called after each denoising step; throws to stop the run (a cancelled job) */
  onStep?: (step: number, total: number) => void;
  /** aborted when the job is cancelled, for models that can stop inside a step */
  signal?: AbortSignal;
}

export interface SessionModel {
  name: string;
  /** the steps and guidance used when a request gives none; absent for models without these knobs */
  defaults?: { numInferenceSteps: number; guidanceScale: number };
  edit(req: SessionEditRequest): Promise<RGBImage>;
}

async function loadMini(dir: string): Promise<SessionModel> {
  const { EMBEDDED_MODEL, MiniEditor } = await import('../mini/editor.ts');
  const folder = dir || EMBEDDED_MODEL;
  if (!existsSync(folder)) {
    const hint = dir ? '' : ' (the embedded model ships in models/kontext-mini; is this a full checkout?)';
    throw new UserError(`model folder ${folder} does not exist${hint}; or pick another with --model`);
  }
  const editor = await MiniEditor.load(folder);
  const { numInferenceSteps, guidanceScale } = editor.pipe.model.config.sampling;
  return {
    name: dir ? `kontext-mini (${dir})` : 'kontext-mini',
    defaults: { numInferenceSteps, guidanceScale },
    async edit(req) {
      const r = await editor.edit({
        prompt: req.prompt,
        image: req.images,
        seed: req.seed,
        width: req.width,
        height: req.height,
        numInferenceSteps: req.numInferenceSteps,
        guidanceScale: req.guidanceScale,
        onStep: req.onStep,
      });
      return r.image;
    },
  };
}

export async function loadSessionModel(spec: string): Promise<SessionModel> {
  if (spec === 'mini' || spec.startsWith('mini:')) return loadMini(spec.slice('mini:'.length));
  const prefix = spec.split(':')[0];
  const known = knownModels().map((m) => m.prefix);
  if (!known.includes(prefix))
    throw new UserError(`unknown model '${spec}'; use ${known.join(', ')} (mini:<folder> for another kontext-mini)`);
  // A session has no ground truth, so the oracle model refuses when asked for an edit.
  return resolveModel(spec, { groundTruth: () => null });
}
