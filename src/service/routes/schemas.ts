// JSON Schemas: request bodies (validated by Fastify with additionalProperties: false, so a misspelt field is an
// error rather than silently ignored) and the response shapes that /openapi.json documents.

import { MAX_CANDIDATES, MAX_RETRIES } from '../../mini/config.ts';
import type { JsonSchema } from './spec.ts';

const int = (minimum: number, maximum?: number, description?: string) => ({
  type: 'integer',
  minimum,
  ...(maximum && { maximum }),
  ...(description && { description }),
});

const SAMPLING = {
  // seeds are 32-bit: the noise generator (as torch's) keeps the low 32 bits, so a larger one would alias a smaller
  seed: int(0, 2 ** 32 - 1, 'noise seed; default random (the one used is in the result)'),
  steps: int(1, undefined, "denoising steps; default the model's; at most the server's --max-steps"),
  guidance: { type: 'number', minimum: 0, description: "guidance scale; default the model's" },
  candidates: int(
    1,
    MAX_CANDIDATES,
    "best of n: sample n answers and keep the one the model finds most likely (kontext-mini only); default the model's; at most the server's --max-candidates",
  ),
};

/** An edit's knobs: the sampling ones, and sampling again where the answer does not show the edit. */
const EDIT_SAMPLING = {
  ...SAMPLING,
  retries: int(
    0,
    MAX_RETRIES,
    "sample again, at the next seeds, up to this many times where the answer does not show the edit (kontext-mini only); default the model's; at most the server's --max-retries",
  ),
};

const IMAGES = {
  type: 'array',
  items: { type: 'string', description: 'a PNG or JPEG file in base64, or a data:image/png;base64,... URL' },
  description: "at most the server's image count and --max-pixels each",
};

const object = (properties: Record<string, unknown>, required: string[] = []): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});

export const GENERATE_BODY = object(
  { prompt: { type: 'string', description: 'what to draw' }, width: int(1, 4096), height: int(1, 4096), ...SAMPLING },
  ['prompt'],
);

export const EDIT_BODY = object(
  {
    prompt: { type: 'string', description: 'the edit instruction' },
    images: {
      ...IMAGES,
      minItems: 1,
      description: 'the image to edit, then optional references (e.g. a style exemplar)',
    },
    ...EDIT_SAMPLING,
  },
  ['prompt', 'images'],
);

export const CREATE_SESSION_BODY = object({
  name: { type: 'string', description: 'default: s1, s2, ... (the first free one)' },
});

export const SESSION_TURN_BODY = object(
  {
    instruction: { type: 'string' },
    images: {
      ...IMAGES,
      description:
        "images after the head's output (e.g. a style exemplar); for a session at its start, " +
        'the images to edit (none: text-to-image)',
    },
    from: int(0, undefined, 'continue from this turn instead of the head (a new branch); 0 = start over from `images`'),
    width: int(1, 4096, 'size of a text-to-image turn'),
    height: int(1, 4096),
    ...EDIT_SAMPLING,
  },
  ['instruction'],
);

export const BRANCH_BODY = object({ turn: int(0, undefined, 'the turn the next edit continues from; 0 = the start') }, [
  'turn',
]);

export const PROMPT_CHECK_BODY = object(
  {
    prompt: { type: 'string', description: 'an instruction or a caption' },
    images: {
      type: 'integer',
      minimum: 0,
      maximum: 16,
      description:
        "how many images the edit will get (0: text-to-image; default 1); with two, kontext-mini reads the second one's style and not the words, and the note says so",
    },
    previous: {
      type: 'string',
      description:
        'the instruction of the turn whose output the edit gets (a session\'s head): kontext-mini reads "move it up" after "make the red circle blue" as "move the blue circle up", and the note says so',
    },
    image: {
      type: 'string',
      description:
        'the hash of the stored image the edit gets, when it gets one (a session\'s head output, an upload): kontext-mini reads the shapes it shows, names "the circle" as "the blue circle" when one circle is there, and says when a shape named is not there',
    },
    color: {
      type: 'string',
      description:
        "the hash of the stored image `image` is the grey of (the head turn's `color`): kontext-mini makes the edit on it and greys the answer, so it does not say that a grey picture is edited less well",
    },
  },
  ['prompt'],
);

// ---- responses (documentation only) ----------------------------------------------------------------------------

const str = { type: 'string' };
const nullable = (t: string) => ({ type: [t, 'null'] });

const MADE_AS = object(
  {
    edits: { type: 'array', items: str, description: 'the instructions the model was given, one after the other' },
    style: { ...str, description: "the style read from a style reference's exemplar" },
  },
  ['edits'],
);

const TURN = object({
  session: str,
  n: { type: 'integer' },
  parent: nullable('integer'),
  instruction: str,
  inputs: { type: 'array', items: str },
  output: { ...str, description: 'image hash: GET /images/{hash}' },
  width: { type: 'integer' },
  height: { type: 'integer' },
  steps: nullable('integer'),
  guidance: nullable('number'),
  candidates: { ...nullable('integer'), description: 'samples the answer was chosen from (best of n)' },
  retries: {
    ...nullable('integer'),
    description: 'samples the model could draw again where its answer did not show the edit',
  },
  seed: { type: 'integer' },
  model: str,
  seconds: { type: 'number' },
  createdAt: str,
  job: {
    ...str,
    description:
      'the job that made the turn (a job run again after its worker died records no second turn); absent for a turn made otherwise (the CLI)',
  },
  madeAs: {
    oneOf: [{ $ref: '#/components/schemas/MadeAs' }, { type: 'null' }],
    description:
      'what the model made of the instruction, where not the instruction as given, one edit (kontext-mini: several edits one after the other; a style reference read as a named style); null: as given',
  },
  unshown: {
    type: ['array', 'null'],
    items: str,
    description:
      "the edits (as made) whose answer showed less of them than all, as kontext-mini's editor reads them, after every try (retries): the answer that showed the most is the output; null: none said (or a turn stored before this was recorded)",
  },
  color: {
    ...nullable('string'),
    description:
      "image hash of the output in colour, where the output is its world grey (kontext-mini: a turn that greyed the picture, or an edit of a greyed picture made in colour and greyed again): the next turn's edit is made on it; null: none",
  },
});

const JOB_RESULT = object({
  image: { ...str, description: 'hash of the output image: GET /images/{hash}' },
  width: { type: 'integer' },
  height: { type: 'integer' },
  seed: { type: 'integer' },
  model: str,
  seconds: { type: 'number' },
  turn: { $ref: '#/components/schemas/Turn' },
  madeAs: {
    $ref: '#/components/schemas/MadeAs',
    description: 'absent when the model made the prompt as given, one edit (a session job: also in turn)',
  },
  unshown: {
    type: 'array',
    items: str,
    description:
      "the edits (as made) whose answer showed less of them than all, as kontext-mini's editor reads them, after every try (retries); absent when none (a session job: also in turn)",
  },
});

const SESSION = object({ id: str, createdAt: str, head: nullable('integer'), turnCount: { type: 'integer' } });

export const COMPONENTS: Record<string, JsonSchema> = {
  Error: object(
    { error: { ...str, description: 'what was wrong; for a limit, which one and the option that sets it' } },
    ['error'],
  ),
  Job: object({
    id: str,
    kind: { enum: ['generate', 'edit', 'session-edit'] },
    status: { enum: ['queued', 'running', 'done', 'failed', 'cancelled'] },
    session: nullable('string'),
    createdAt: str,
    startedAt: nullable('string'),
    finishedAt: nullable('string'),
    position: { type: ['integer', 'null'], description: '1 = next to run; while queued' },
    progress: { type: ['object', 'null'], properties: { step: { type: 'integer' }, total: { type: 'integer' } } },
    cancelRequested: { type: 'boolean' },
    result: { oneOf: [{ $ref: '#/components/schemas/JobResult' }, { type: 'null' }] },
    error: nullable('string'),
    notes: {
      type: 'array',
      items: str,
      description:
        "what the client should know about its request: the prompt's note (as POST /prompts/check gives it) and an upload's transparent pixels (read with the colours under them)",
    },
  }),
  JobResult: JOB_RESULT,
  PromptCheck: object({
    unknownWords: {
      type: ['array', 'null'],
      items: str,
      description: 'lower-cased, in order, each once; null when the model cannot tell',
    },
    typos: {
      type: 'array',
      items: object({ typed: str, read: str }, ['typed', 'read']),
      description: 'typed words read as the known words they are typos of ("cirlce" as "circle"), in order, each once',
    },
    otherWords: {
      type: 'array',
      items: object({ typed: str, read: str }, ['typed', 'read']),
      description: 'typed words read as the world\'s words for them ("ball" as "circle"), in order, each once',
    },
    phrasings: {
      type: 'array',
      items: object({ typed: str, read: str }, ['typed', 'read']),
      description:
        'instructions (or the edits split from one) asked as the world words them ("shrink the circle" as "make the circle smaller"), and an "it" named after the turn before ("move it up" as "move the blue circle up", with `previous`), in order',
    },
    note: nullable('string'),
  }),
  JobEvent: {
    description:
      'one Server-Sent Event: `event:` is the type, `data:` this JSON, `id:` its sequence number ' +
      '(send Last-Event-ID to resume)',
    oneOf: [
      object({ type: { const: 'queued' }, position: { type: 'integer' } }),
      object({ type: { const: 'started' } }),
      object({ type: { const: 'step' }, step: { type: 'integer' }, total: { type: 'integer' } }),
      object({ type: { const: 'done' }, result: { $ref: '#/components/schemas/JobResult' } }),
      object({ type: { const: 'failed' }, error: str }),
      object({ type: { const: 'cancelled' }, reason: str }),
    ],
  },
  Session: SESSION,
  SessionDetail: object({
    session: { $ref: '#/components/schemas/Session' },
    current: { type: 'array', items: { type: 'integer' }, description: 'the turns from a root to the head' },
    turns: { type: 'array', items: { $ref: '#/components/schemas/Turn' } },
  }),
  SessionList: { type: 'array', items: { $ref: '#/components/schemas/Session' } },
  Turn: TURN,
  MadeAs: MADE_AS,
  Health: object({
    status: str,
    model: str,
    uptimeSeconds: { type: 'number' },
    queue: object({
      queued: { type: 'integer' },
      running: { type: 'integer' },
      maxQueue: { type: 'integer' },
      concurrency: { type: 'integer' },
      accepting: { type: 'boolean' },
      checkModel: {
        ...object({
          model: str,
          id: { type: ['string', 'null'] },
          workersSame: { type: 'integer' },
          workersOther: { type: 'integer' },
        }),
        description:
          'with --redis --check-model: the model requests are checked with (its id a digest of its weights), and ' +
          "how many connected workers run it and how many another (a worker's model is in its Redis connection name)",
      },
    }),
    limits: { type: 'object' },
  }),
};
