// What the model makes of a prompt before anything runs: the words it does not know, which it will most likely
// ignore (the web app shows them beside the edit; `kontext edit` prints the same note).

import { checkText } from '../limits.ts';
import type { ServiceModel } from '../model.ts';
import { PROMPT_CHECK_BODY } from './schemas.ts';
import { bodyOf, type RouteSpec, type ServiceContext } from './spec.ts';

export function promptRoutes({ model, limits }: ServiceContext): RouteSpec[] {
  return [
    {
      method: 'POST',
      url: '/prompts/check',
      operationId: 'checkPrompt',
      body: PROMPT_CHECK_BODY,
      summary: 'The words of a prompt the model does not know (and reads without meaning), before it runs',
      responses: {
        200: { description: 'the words, and a note for the user (null when there are none)', schema: 'PromptCheck' },
        400: { description: "an empty prompt, or one over the server's prompt length limit", schema: 'Error' },
      },
      async handler(req) {
        const { prompt, images, previous } = bodyOf<{ prompt: string; images?: number; previous?: string }>(req);
        checkText(prompt, 'prompt', limits);
        if (previous?.trim()) checkText(previous, 'previous', limits); // (a blank one: no turn before)
        // null: this model cannot tell (a baseline, or an API process whose jobs run in worker processes)
        return model.checkPrompt?.(prompt, images, previous?.trim() || undefined) ?? { unknownWords: null, note: null };
      },
    },
  ];
}

/**
 * The prompt's note (unknown words, several edits, colours the world never draws; with two images, that the words are
 * not read; "it" read as the shape the turn before edited, `previous`) for a job's notes, the edit getting `images`
 * images; [] if none.
 */
export function promptNotes(model: ServiceModel, prompt: string, images: number, previous?: string): string[] {
  const note = model.checkPrompt?.(prompt, images, previous)?.note;
  return note ? [note] : [];
}
