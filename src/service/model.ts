// The model the service runs: a SessionModel (src/session/model.ts) whose requests may also carry `onStep` and
// `signal`. A model that calls `onStep(step, total)` after each denoising step gets per-step progress events and
// can be cancelled between steps (onStep throws once the job is cancelled); one that ignores them still works,
// reports no steps, and is cancelled when it returns (its result is then dropped).
//
// Models registered with registerModel (src/bench/model.ts) receive the request object as the service built it,
// so a registered model can read `onStep` and `signal` from it too (the tests' slow model does).

import { existsSync } from 'node:fs';
import { UserError } from '../errors.ts';
import type { RGBImage } from '../image/rgb.ts';
import { loadSessionModel, type SessionEditRequest, type SessionModel } from '../session/model.ts';

export interface StepRequest extends SessionEditRequest {
  /** called after each denoising step; throws to stop the run (the job was cancelled) */
  onStep?: (step: number, total: number) => void;
  /** aborted when the job is cancelled, for models that can stop inside a step */
  signal?: AbortSignal;
}

export interface ServiceModel extends SessionModel {
  edit(req: StepRequest): Promise<RGBImage>;
}

/**
 * kontext-mini with step callbacks. loadSessionModel's adapter does not pass `onStep` through (SessionEditRequest
 * has no such field), so the service builds its own; the rest is the same.
 */
async function loadMini(dir: string): Promise<ServiceModel> {
  const { EMBEDDED_MODEL, MiniEditor } = await import('../mini/editor.ts');
  const folder = dir || EMBEDDED_MODEL;
  if (!existsSync(folder)) throw new UserError(`model folder ${folder} does not exist; pick another with --model (e.g. --model identity to try the API)`);
  const editor = await MiniEditor.load(folder);
  const { numInferenceSteps, guidanceScale } = editor.pipe.model.config.sampling;
  return {
    name: dir ? `kontext-mini (${dir})` : 'kontext-mini',
    defaults: { numInferenceSteps, guidanceScale },
    async edit(req) {
      const r = await editor.edit({
        prompt: req.prompt, image: req.images, seed: req.seed, width: req.width, height: req.height,
        numInferenceSteps: req.numInferenceSteps, guidanceScale: req.guidanceScale, onStep: req.onStep,
      });
      return r.image;
    },
  };
}

/** `mini`, `mini:<folder>`, or any model spec loadSessionModel knows (identity, noise, registered ones). */
export async function loadServiceModel(spec: string): Promise<ServiceModel> {
  if (spec === 'mini' || spec.startsWith('mini:')) return loadMini(spec.slice('mini:'.length));
  return loadSessionModel(spec);
}
