// Multi-turn sessions over HTTP: the session store's operations (src/session/store.ts), and a session turn as a
// job. Reads and head moves are instant and answered directly; a turn runs the model, so it is queued like any job.

import { DEFAULT_SIZE, madeBy, parentOf } from '../../session/editor.ts';
import { conflict, notFound } from '../errors.ts';
import { sessionId } from '../ids.ts';
import type { Sampling } from '../jobs/types.ts';
import { checkImageCount, checkModelImages, checkPixels, checkSampling, checkText } from '../limits.ts';
import { storeUploads } from '../uploads.ts';
import { accepted, JOB_RESPONSES } from './generate.ts';
import { promptNotes } from './prompts.ts';
import { BRANCH_BODY, CREATE_SESSION_BODY, SESSION_TURN_BODY } from './schemas.ts';
import { bodyOf, paramsOf, type RouteSpec, type ServiceContext } from './spec.ts';

interface TurnBody extends Sampling {
  instruction: string;
  images?: string[];
  from?: number;
  width?: number;
  height?: number;
}

const ID = { id: "the session's name" };
const ERRORS = {
  400: { description: 'malformed request', schema: 'Error' },
  404: { description: 'no such session (or turn)', schema: 'Error' },
};

export function sessionRoutes(ctx: ServiceContext): RouteSpec[] {
  const { store, queue, model, limits } = ctx;
  /** The session named in the path, or 404. */
  const session = (raw: string) => {
    const s = store.findSession(sessionId(raw));
    if (!s) throw notFound(`no session '${raw}' (GET /sessions lists them)`);
    return s;
  };
  /** Turn n of a session, or 404 (0 = the start, no turn). */
  const turn = (id: string, n: number) => {
    if (n === 0) return null;
    try {
      return store.turn(id, n).n;
    } catch {
      throw notFound(`session '${id}' has no turn ${n} (GET /sessions/${id} lists its turns)`);
    }
  };

  return [
    {
      method: 'POST',
      url: '/sessions',
      operationId: 'createSession',
      summary: 'Create a session',
      body: CREATE_SESSION_BODY,
      responses: {
        201: { description: 'the new session', schema: 'Session' },
        400: ERRORS[400],
        409: { description: 'the name is taken', schema: 'Error' },
      },
      async handler(req, reply) {
        const { name } = bodyOf<{ name?: string }>(req);
        if (name !== undefined && store.findSession(sessionId(name)))
          throw conflict(`a session named '${name}' already exists`);
        const s = store.createSession(name);
        reply.code(201).header('location', `/sessions/${s.id}`);
        return s;
      },
    },
    {
      method: 'GET',
      url: '/sessions',
      operationId: 'listSessions',
      summary: 'All sessions, oldest first',
      responses: { 200: { description: 'the sessions', schema: 'SessionList' } },
      handler: async () => store.listSessions(),
    },
    {
      method: 'GET',
      url: '/sessions/:id',
      operationId: 'getSession',
      params: ID,
      summary: 'A session with all its turns (every branch) and the path to its head',
      responses: { 200: { description: 'the session', schema: 'SessionDetail' }, ...ERRORS },
      async handler(req) {
        const s = session(paramsOf(req).id);
        return { session: s, current: store.lineage(s.id).map((t) => t.n), turns: store.turns(s.id) };
      },
    },
    {
      method: 'POST',
      url: '/sessions/:id/undo',
      operationId: 'undo',
      params: ID,
      summary: 'Undo: move the head to its parent (the turn stays; branch back to redo)',
      responses: {
        200: { description: 'the session', schema: 'Session' },
        ...ERRORS,
        409: { description: 'the session is at its start', schema: 'Error' },
      },
      async handler(req) {
        const s = session(paramsOf(req).id);
        if (s.head === null) throw conflict(`session '${s.id}' is at its start; there is nothing to undo`);
        return store.undo(s.id);
      },
    },
    {
      method: 'POST',
      url: '/sessions/:id/branch',
      operationId: 'branch',
      params: ID,
      body: BRANCH_BODY,
      summary: 'Move the head to a turn (0 = the start); the next edit continues from there as a new branch',
      responses: { 200: { description: 'the session', schema: 'Session' }, ...ERRORS },
      async handler(req) {
        const s = session(paramsOf(req).id);
        return store.setHead(s.id, turn(s.id, bodyOf<{ turn: number }>(req).turn));
      },
    },
    {
      method: 'POST',
      url: '/sessions/:id/turns',
      operationId: 'editSession',
      params: ID,
      body: SESSION_TURN_BODY,
      summary: "Edit the session's head (or turn `from`): queue a job that adds a turn and moves the head to it",
      responses: { ...JOB_RESPONSES, 404: ERRORS[404] },
      async handler(req, reply) {
        const s = session(paramsOf(req).id);
        const b = bodyOf<TurnBody>(req);
        checkText(b.instruction, 'instruction', limits);
        checkSampling(b, limits);
        checkImageCount(b.images?.length ?? 0, limits);
        if (b.width !== undefined || b.height !== undefined)
          checkPixels('the requested image', b.width ?? DEFAULT_SIZE, b.height ?? DEFAULT_SIZE, limits);
        const from = b.from === undefined ? undefined : turn(s.id, b.from);
        const parentN = parentOf(s.head, from);
        const parent = parentN === null ? 0 : 1; // the output it edits, then the uploads
        const made = parentN === null ? undefined : store.turn(s.id, parentN);
        const previous = made && madeBy(made);
        const picture = made?.output; // the picture edited (at the start: the first upload)
        const uploads = b.images?.length ?? 0;
        checkModelImages(
          model,
          parent + uploads,
          parent ? `the output it edits and ${uploads} uploads` : 'the uploads',
        );
        await queue.checkRoom(); // refuse before storing uploads that would not be used
        const { hashes: images, notes } = await storeUploads(store, b.images ?? [], limits);
        const { instruction, width, height, seed, steps, guidance, candidates, retries } = b;
        return accepted(
          reply,
          await queue.submit({
            kind: 'session-edit',
            session: s.id,
            instruction,
            images,
            from,
            width,
            height,
            seed,
            steps,
            guidance,
            candidates,
            retries,
            notes: [
              ...(await promptNotes(
                ctx,
                instruction,
                parent + images.length,
                previous,
                picture ?? images[0],
                !!made?.color,
              )),
              ...notes,
            ],
          }),
        );
      },
    },
  ];
}
