// The request limits that depend on the server's options (--max-steps, --max-pixels, ...). Types and shapes are
// checked earlier, by the routes' JSON schemas; these checks give each limit its own message, naming the limit
// and the option that sets it, so "why was this refused?" never needs the server's logs.

import { badRequest, tooLarge } from './errors.ts';
import type { Sampling } from './jobs/types.ts';
import { imagesProblem } from '../session/model.ts';
import type { ServiceModel } from './model.ts';
import type { Limits } from './options.ts';

export function checkText(text: string, field: string, l: Limits): void {
  if (!text.trim()) throw badRequest(`${field} is empty; say what to draw or change, e.g. "make the circle blue"`);
  if (text.length > l.maxPromptChars)
    throw badRequest(`${field} is ${text.length} characters, above this server's limit of ${l.maxPromptChars}`);
}

/**
 * A job's cost: --max-steps caps the steps, --max-candidates the best-of-n samples and --max-retries the samples
 * drawn again where the answer does not show the edit (each about one more run).
 */
export function checkSampling({ steps, candidates, retries }: Sampling, l: Limits): void {
  if (steps !== undefined && steps > l.maxSteps)
    throw badRequest(`steps ${steps} is above this server's limit of ${l.maxSteps} (--max-steps)`);
  if (candidates !== undefined && candidates > l.maxCandidates)
    throw badRequest(`candidates ${candidates} is above this server's limit of ${l.maxCandidates} (--max-candidates)`);
  if (retries !== undefined && retries > l.maxRetries)
    throw badRequest(`retries ${retries} is above this server's limit of ${l.maxRetries} (--max-retries)`);
}

export function checkImageCount(n: number, l: Limits): void {
  if (n > l.maxImages) throw badRequest(`${n} images given; this server takes at most ${l.maxImages} per request`);
}

/**
 * The images an edit would give the model (`what` says which) against the most it takes (SessionModel.maxImages),
 * refused when asked rather than when its job runs.
 */
export function checkModelImages(model: ServiceModel, n: number, what: string): void {
  const problem = imagesProblem(model, n, what);
  if (problem) throw badRequest(problem);
}

/** An image of width x height (uploaded or asked for) against --max-pixels. */
export function checkPixels(what: string, width: number, height: number, l: Limits): void {
  if (width * height > l.maxPixels) {
    throw tooLarge(
      `${what} is ${width}x${height} = ${width * height} pixels, ` +
        `above this server's limit of ${l.maxPixels} pixels (--max-pixels)`,
    );
  }
}

/** The message for a body over --max-body (Fastify refuses it before it is read; see app.ts). */
export const bodyTooLarge = (l: Limits) =>
  `the request body is larger than this server's limit of ${l.maxBodyBytes} bytes ` +
  `(${(l.maxBodyBytes / 2 ** 20).toFixed(1)} MiB, --max-body); send smaller images`;
