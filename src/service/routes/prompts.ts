// What the model makes of a prompt before anything runs: the words it does not know, which it will most likely
// ignore, and, given the picture it edits (by hash), how it reads the shapes named there (the web app shows it
// beside the edit; `kontext edit` prints the same note).

import { checkEditPrompt } from '../../session/model.ts';
import { notFound } from '../errors.ts';
import { imageHash } from '../ids.ts';
import { checkText } from '../limits.ts';
import { PROMPT_CHECK_BODY } from './schemas.ts';
import { bodyOf, type RouteSpec, type ServiceContext } from './spec.ts';

export function promptRoutes({ model, store, limits }: ServiceContext): RouteSpec[] {
  return [
    {
      method: 'POST',
      url: '/prompts/check',
      operationId: 'checkPrompt',
      body: PROMPT_CHECK_BODY,
      summary: 'The words of a prompt the model does not know (and reads without meaning), before it runs',
      responses: {
        200: { description: 'the words, and a note for the user (null when there are none)', schema: 'PromptCheck' },
        400: {
          description: "an empty prompt, one over the server's prompt length limit, or `image` not an image hash",
          schema: 'Error',
        },
        404: { description: '`image` names no stored image', schema: 'Error' },
      },
      async handler(req) {
        const { prompt, images = 1, previous, image, color } = bodyOf<PromptCheckBody>(req);
        checkText(prompt, 'prompt', limits);
        if (previous?.trim()) checkText(previous, 'previous', limits); // (a blank one: no turn before)
        const hash = image === undefined ? undefined : imageHash(image);
        if (hash && !store.images.has(hash)) throw notFound(`no image ${hash} (\`image\` names a stored image)`);
        const picture = hash ? () => store.images.get(hash) : undefined;
        const inColor = color === undefined ? undefined : imageHash(color);
        if (inColor && !store.images.has(inColor))
          throw notFound(`no image ${inColor} (\`color\` names a stored image)`);
        // null: this model cannot tell (a baseline, or an API process whose jobs run in worker processes)
        return (
          (await checkEditPrompt(model, prompt, images, previous?.trim() || undefined, picture, !!inColor)) ?? {
            unknownWords: null,
            note: null,
          }
        );
      },
    },
  ];
}

interface PromptCheckBody {
  prompt: string;
  images?: number;
  previous?: string;
  image?: string;
  color?: string;
}

/**
 * The prompt's note (unknown words, several edits, colours the world never draws; with two images, that the words are
 * not read; "it" read as the shape the turn before edited, `previous`; a shape named that `picture`, the one image
 * edited, does not show; a grey picture, unless `color`: its colour is known) for a job's notes, the edit getting
 * `images` images; [] if none.
 */
export async function promptNotes(
  { model, store }: Pick<ServiceContext, 'model' | 'store'>,
  prompt: string,
  images: number,
  previous?: string,
  picture?: string,
  color = false,
): Promise<string[]> {
  const read = picture ? () => store.images.get(picture) : undefined;
  const note = (await checkEditPrompt(model, prompt, images, previous, read, color))?.note;
  return note ? [note] : [];
}
