// The model the service runs: a SessionModel (src/session/model.ts) whose requests may also carry `onStep` and
// `signal`. A model that calls `onStep(step, total)` after each denoising step gets per-step progress events and
// can be cancelled between steps (onStep throws once the job is cancelled); one that ignores them still works,
// reports no steps, and is cancelled when it returns (its result is then dropped).
//
// Models registered with registerModel (src/bench/model.ts) receive the request object as the service built it,
// so a registered model can read `onStep` and `signal` from it too (the tests' slow model does).

import { loadSessionModel, type SessionEditRequest, type SessionModel } from '../session/model.ts';

/** A request with step callbacks and cancellation (the session model passes them through). */
export type StepRequest = SessionEditRequest;
export type ServiceModel = SessionModel;

/**
 * The model of an API process whose jobs run in `kontext worker` processes (--redis): it runs none itself. `checks`,
 * the workers' model loaded here (--check-model), answers what a request can be told before it is queued: the
 * prompt's notes (with the shapes the edited picture shows) and the images an edit takes; without it nothing is
 * checked.
 */
export function workersModel(checks?: ServiceModel): ServiceModel {
  return {
    name: 'kontext worker processes',
    maxImages: checks?.maxImages,
    checkPrompt: checks?.checkPrompt?.bind(checks),
    shapesIn: checks?.shapesIn?.bind(checks),
    async edit() {
      throw new Error('this process hands its jobs to kontext worker processes; it runs no model');
    },
  };
}

/** `mini`, `mini:<folder>`, or any model spec loadSessionModel knows (identity, noise, registered ones). */
export async function loadServiceModel(spec: string): Promise<ServiceModel> {
  return loadSessionModel(spec);
}
