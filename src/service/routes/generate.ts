// One-off model runs: text-to-image and image editing. The request is checked against the limits and its images
// are stored before the job is queued; the answer is 202 with the job (Location: /jobs/<id>).

import type { FastifyReply } from 'fastify';
import { DEFAULT_SIZE } from '../../session/editor.ts';
import type { Job, Sampling } from '../jobs/types.ts';
import { checkImageCount, checkModelImages, checkPixels, checkSampling, checkText } from '../limits.ts';
import { storeUploads } from '../uploads.ts';
import { promptNotes } from './prompts.ts';
import { EDIT_BODY, GENERATE_BODY } from './schemas.ts';
import { bodyOf, type RouteSpec, type ServiceContext } from './spec.ts';

interface GenerateBody extends Sampling {
  prompt: string;
  width?: number;
  height?: number;
}
interface EditBody extends Sampling {
  prompt: string;
  images: string[];
}

/** 202 Accepted: the job is queued; Location says where to follow it. */
export function accepted(reply: FastifyReply, job: Job): Job {
  reply.code(202).header('location', `/jobs/${job.id}`);
  return job;
}

export const JOB_RESPONSES = {
  202: { description: 'the job, queued (follow it at /jobs/{id} or /jobs/{id}/events)', schema: 'Job' },
  400: { description: 'a malformed request, or steps/images/prompt over their limit', schema: 'Error' },
  413: { description: 'the body is over --max-body, or an image over --max-pixels', schema: 'Error' },
  429: { description: 'the queue is full (--max-queue); Retry-After says when to try again', schema: 'Error' },
  503: { description: 'the server is shutting down', schema: 'Error' },
};

export function generateRoutes(ctx: ServiceContext): RouteSpec[] {
  const { store, queue, model, limits } = ctx;
  return [
    {
      method: 'POST',
      url: '/generate',
      operationId: 'generate',
      summary: 'Text-to-image: queue a job that draws an image from a prompt',
      body: GENERATE_BODY,
      responses: JOB_RESPONSES,
      async handler(req, reply) {
        const { prompt, width, height, seed, steps, guidance, candidates } = bodyOf<GenerateBody>(req);
        checkText(prompt, 'prompt', limits);
        checkSampling({ steps, candidates }, limits);
        if (width !== undefined || height !== undefined)
          checkPixels('the requested image', width ?? DEFAULT_SIZE, height ?? DEFAULT_SIZE, limits);
        return accepted(
          reply,
          await queue.submit({
            kind: 'generate',
            ...{ prompt, width, height, seed, steps, guidance, candidates },
            notes: await promptNotes(ctx, prompt, 0),
          }),
        );
      },
    },
    {
      method: 'POST',
      url: '/edit',
      operationId: 'edit',
      summary: "Edit an image from an instruction: queue a job (the output has the first image's size)",
      body: EDIT_BODY,
      responses: JOB_RESPONSES,
      async handler(req, reply) {
        const { prompt, images, seed, steps, guidance, candidates, retries } = bodyOf<EditBody>(req);
        checkText(prompt, 'prompt', limits);
        checkSampling({ steps, candidates, retries }, limits);
        checkImageCount(images.length, limits);
        checkModelImages(model, images.length, 'the uploads');
        await queue.checkRoom(); // refuse before storing uploads that would not be used
        const { hashes, notes } = await storeUploads(store, images, limits);
        return accepted(
          reply,
          await queue.submit({
            kind: 'edit',
            ...{ prompt, images: hashes, seed, steps, guidance, candidates, retries },
            notes: [...(await promptNotes(ctx, prompt, hashes.length, undefined, hashes[0])), ...notes],
          }),
        );
      },
    },
  ];
}
