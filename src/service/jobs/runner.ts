// The work a job does, by kind. Each runner loads its input images from the store by hash, calls the model with
// the job's step callback and cancellation signal, stores the output image (and, for a session, the turn), and
// only then returns: when the queue marks a job done, everything it made is already on disk.

import { DEFAULT_SIZE, SessionEditor } from '../../session/editor.ts';
import type { SessionStore } from '../../session/store.ts';
import type { MadeAs } from '../../session/types.ts';
import type { ServiceModel } from '../model.ts';
import type { JobContext, JobResult, JobRunner, JobSpec } from './types.ts';

/** The model as one job sees it: its requests carry the job's onStep and signal, and a cancel that arrives
 *  while the model runs is honoured before anything is stored. */
function forJob(model: ServiceModel, ctx: JobContext): ServiceModel {
  return {
    name: model.name,
    maxImages: model.maxImages,
    defaults: model.defaults,
    async edit(req) {
      const out = await model.edit({ ...req, onStep: ctx.onStep, signal: ctx.signal });
      ctx.checkCancelled();
      return out;
    },
  };
}

export function createRunner(store: SessionStore, model: ServiceModel): JobRunner {
  return async (spec: JobSpec, ctx: JobContext): Promise<JobResult> => {
    const m = forJob(model, ctx);
    const images = spec.kind === 'generate' ? [] : await Promise.all(spec.images.map((h) => store.images.get(h)));

    if (spec.kind === 'session-edit') {
      // SessionEditor stores the output image, then the turn, then moves the head (see src/session/editor.ts).
      // The turn carries the job's id: a job run again after its worker died finds its turn, never adds a second.
      const { turn } = await new SessionEditor(store, m).edit(spec.session, {
        instruction: spec.instruction,
        images,
        from: spec.from,
        seed: spec.seed,
        steps: spec.steps,
        guidance: spec.guidance,
        candidates: spec.candidates,
        retries: spec.retries,
        width: spec.width,
        height: spec.height,
        job: ctx.id,
      });
      const { output: image, width, height, seed, model: name, seconds, madeAs, unshown } = turn;
      return {
        ...{ image, width, height, seed, model: name, seconds, turn },
        ...(madeAs ? { madeAs } : {}),
        ...(unshown ? { unshown } : {}),
      };
    }

    const seed = spec.seed ?? Math.floor(Math.random() * 2 ** 31);
    const t0 = performance.now();
    let madeAs: MadeAs | undefined;
    let unshown: string[] | undefined;
    const out = await m.edit({
      prompt: spec.prompt,
      images,
      // edits answer at the first image's size; text-to-image at the size asked for
      width: images[0]?.width ?? (spec.kind === 'generate' ? spec.width : undefined) ?? DEFAULT_SIZE,
      height: images[0]?.height ?? (spec.kind === 'generate' ? spec.height : undefined) ?? DEFAULT_SIZE,
      seed,
      numInferenceSteps: spec.steps,
      guidanceScale: spec.guidance,
      candidates: spec.candidates,
      retries: spec.retries,
      onMade: (made) => {
        madeAs = made;
      },
      onUnshown: (edits) => {
        unshown = edits;
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const image = await store.images.put(out);
    return {
      image,
      width: out.width,
      height: out.height,
      seed,
      model: model.name,
      seconds,
      ...(madeAs ? { madeAs } : {}),
      ...(unshown ? { unshown } : {}),
    };
  };
}
