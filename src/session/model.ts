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
import type { PromptCheck } from '../prompt/unknown-words.ts';
import type { SeenShape } from '../world/shapes-seen.ts';
import type { MadeAs } from './types.ts';

export interface SessionEditRequest extends EditRequest {
  /** denoising steps; undefined = the model's default */
  numInferenceSteps?: number;
  /** guidance scale; undefined = the model's default */
  guidanceScale?: number;
  /**
   * samples to choose from, the one the model finds most likely kept (best of n, src/mini/rerank.ts); undefined =
   * the model's default. Only models that list it in `defaults` take it; the others refuse more than 1.
   */
  candidates?: number;
  /**
   * samples drawn again (at further seeds) while the answer does not show the edit as the output step reads it
   * (src/mini/editor.ts retries); undefined = the model's default. Only models that list it in `defaults` take it;
   * the others refuse more than 0.
   */
  retries?: number;
  /** called after each denoising step; throws to stop the run (a cancelled job) */
  onStep?: (step: number, total: number) => void;
  /** aborted when the job is cancelled, for models that can stop inside a step */
  signal?: AbortSignal;
  /**
   * called before the answer returns when the model made the request as something other than the prompt as given,
   * one edit (kontext-mini: several edits one after the other, a style reference read as a named style); models
   * that answer the prompt as given never call it
   */
  onMade?: (made: MadeAs) => void;
  /**
   * called before the answer returns with the edits (as made) whose answer showed less of them than all, as the
   * output step reads them, after every try, and the tries each was given (kontext-mini: MiniEditResult.unshown and
   * tries); others never call it
   */
  onUnshown?: (edits: string[], tries: number) => void;
  /**
   * the instruction of the turn this one edits the output of, if any: kontext-mini reads "move it up" after "make
   * the red circle blue" as "move the blue circle up" (src/world/outside.ts resolveIt); others may ignore it
   */
  previous?: string;
  /**
   * the first image in colour, where the first image is its world grey (the turn before's `color`): kontext-mini makes
   * the edit on it and greys the answer (src/mini/editor.ts `color`); others ignore it
   */
  color?: RGBImage;
  /**
   * called before the answer returns with the answer in colour, where the answer is its world grey (kontext-mini:
   * MiniEditResult.color: a picture greyed, or an edit made on `color`); others never call it
   */
  onColor?: (color: RGBImage) => void;
}

export interface SessionModel {
  name: string;
  /**
   * what identifies the weights wherever they lie (kontext-mini: a digest of its folder's files, read when asked:
   * about 70 ms); workers name it on Redis, and an API process checking requests for them (--check-model)
   * compares; absent: not known
   */
  digest?(): Promise<string>;
  /** the most images one edit takes (kontext-mini: 2, the image to edit and a style reference); absent: no limit */
  maxImages?: number;
  /** the steps and guidance (and candidates, retries) used when a request gives none; absent for models without
   *  these knobs */
  defaults?: { numInferenceSteps: number; guidanceScale: number; candidates?: number; retries?: number };
  edit(req: SessionEditRequest): Promise<RGBImage>;
  /**
   * the words of a prompt the model does not know, and a note (kontext-mini: MiniEditor.checkPrompt), for an edit
   * of `images` images (default 1) after a turn with the instruction `previous` (if any), of a picture showing the
   * shapes `seen` (if read: shapesIn), whose colour is known where `color` (the turn before recorded it: the edit is
   * made in colour); absent: can't tell
   */
  checkPrompt?(
    prompt: string,
    images?: number,
    previous?: string,
    seen?: readonly SeenShape[],
    color?: boolean,
  ): PromptCheck;
  /** the shapes a picture shows, for checkPrompt (kontext-mini: MiniEditor.shapesIn); absent: can't tell */
  shapesIn?(image: RGBImage): Promise<SeenShape[]>;
}

/**
 * `model.checkPrompt` for an edit of `images` images after a turn made by `previous` (if any): where it gets one
 * picture, the shapes that picture shows are read first (`picture` is asked for only then), so that a shape named
 * that is not there is said (sessions, chat and the service check prompts so); `color`: the picture's colour is known
 * (the turn before recorded it: Turn.color). undefined: can't tell.
 */
export async function checkEditPrompt(
  model: SessionModel,
  prompt: string,
  images: number,
  previous: string | undefined,
  picture?: () => Promise<RGBImage>,
  color = false,
): Promise<PromptCheck | undefined> {
  if (!model.checkPrompt) return undefined;
  const seen = images === 1 && picture && model.shapesIn ? await model.shapesIn(await picture()) : undefined;
  return model.checkPrompt(prompt, images, previous, seen, color);
}

/** What is wrong with giving `model` n images in one edit (`what` says which), or null: within its maxImages. */
export function imagesProblem(model: SessionModel, n: number, what: string): string | null {
  const max = model.maxImages;
  return max !== undefined && n > max
    ? `${model.name} takes at most ${max} images per edit; this one would get ${n} (${what})`
    : null;
}

async function loadMini(dir: string): Promise<SessionModel> {
  const { MAX_IMAGES, MiniEditor } = await import('../mini/editor.ts');
  const { EMBEDDED_MODEL } = await import('../mini/embedded.ts');
  const folder = dir || EMBEDDED_MODEL;
  if (!existsSync(folder)) {
    const hint = dir ? '' : ' (the embedded model ships in models/kontext-mini; is this a full checkout?)';
    throw new UserError(`model folder ${folder} does not exist${hint}; or pick another with --model`);
  }
  const editor = await MiniEditor.load(folder);
  const { numInferenceSteps, guidanceScale, candidates = 1, retries = 0 } = editor.pipe.model.config.sampling;
  const { miniDigest } = await import('../mini/load.ts');
  return {
    name: dir ? `kontext-mini (${dir})` : 'kontext-mini',
    digest: () => miniDigest(folder),
    maxImages: MAX_IMAGES,
    defaults: { numInferenceSteps, guidanceScale, candidates, retries },
    async edit(req) {
      const r = await editor.edit({
        prompt: req.prompt,
        image: req.images,
        seed: req.seed,
        width: req.width,
        height: req.height,
        numInferenceSteps: req.numInferenceSteps,
        guidanceScale: req.guidanceScale,
        candidates: req.candidates,
        retries: req.retries,
        onStep: req.onStep,
        previous: req.previous,
        color: req.color,
      });
      if (r.color) req.onColor?.(r.color);
      if (r.edits) req.onMade?.({ edits: r.edits, ...(r.style ? { style: r.style } : {}) });
      if (r.unshown) req.onUnshown?.(r.unshown, r.tries ?? 1);
      return r.image;
    },
    checkPrompt: (prompt, images, previous, seen, color) =>
      editor.checkPrompt(prompt, { images, previous, seen, color }),
    shapesIn: (image) => editor.shapesIn(image),
  };
}

export async function loadSessionModel(spec: string): Promise<SessionModel> {
  if (spec === 'mini' || spec.startsWith('mini:')) return loadMini(spec.slice('mini:'.length));
  const prefix = spec.split(':')[0];
  const known = knownModels().map((m) => m.prefix);
  if (!known.includes(prefix))
    throw new UserError(`unknown model '${spec}'; use ${known.join(', ')} (mini:<folder> for another kontext-mini)`);
  // A session has no ground truth, so the oracle model refuses when asked for an edit.
  return oneAnswer(await resolveModel(spec, { groundTruth: () => null }));
}

/**
 * A model without best of n or retries (identity, noise, registered ones) refuses a request for more than one
 * candidate, or for any sample drawn again, instead of quietly answering with one sample.
 */
function oneAnswer(m: SessionModel): SessionModel {
  return {
    name: m.name,
    defaults: m.defaults,
    async edit(req) {
      if (req.candidates !== undefined && req.candidates !== 1 && m.defaults?.candidates === undefined)
        throw new UserError(
          `${m.name} samples one answer; candidates ${req.candidates} (best of n) needs kontext-mini (--model mini)`,
        );
      if (req.retries !== undefined && req.retries !== 0 && m.defaults?.retries === undefined)
        throw new UserError(
          `${m.name} samples one answer; retries ${req.retries} (sampling again where the answer does not show the ` +
            'edit) needs kontext-mini (--model mini)',
        );
      return m.edit(req);
    },
  };
}
