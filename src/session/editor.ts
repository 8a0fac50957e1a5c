// SessionEditor: one turn of a multi-turn edit. It takes the head's output (or the images given for a turn that
// starts the session), asks the model for the edit, stores the output image, then records the turn and moves the
// head to it — in that order, so a crash at any point leaves either no turn or a complete one (see store.ts).

import { UserError } from '../errors.ts';
import type { RGBImage } from '../image/rgb.ts';
import { candidatesProblem, retriesProblem } from '../mini/config.ts';
import { imagesProblem, type SessionModel } from './model.ts';
import type { SessionStore } from './store.ts';
import type { MadeAs, Turn } from './types.ts';

/** Output size of a text-to-image turn when none is given: kontext-mini's square. */
export const DEFAULT_SIZE = 64;

/**
 * The turn a new turn edits: `from` when given (null: none, it starts from the images given), else the head. The
 * model then gets that turn's output (if any) and the extra images: what the CLI and the service count before a turn.
 */
export function parentOf(head: number | null, from: number | null | undefined): number | null {
  return from === undefined ? head : from;
}

/**
 * The instruction a turn's output was made by, as the model read it: its edits (MadeAs) joined by "and" where the
 * model made it otherwise, else as typed. The next turn's "it" names the shape its last edit edited, "them" the shapes
 * of its last edits (src/world/outside.ts resolveIt), so a chain reads on: "make the red circle blue", "move it up"
 * (the blue circle), "make it bigger" (still it).
 */
export function madeBy(t: Pick<Turn, 'instruction' | 'madeAs'>): string {
  return t.madeAs?.edits.join(' and ') ?? t.instruction;
}

export interface TurnOptions {
  instruction: string;
  /**
   * Images after the parent's output (e.g. a style exemplar). For a turn that starts from nothing (no head, or
   * `from: null`) these are the images to edit; none there means text-to-image.
   */
  images?: RGBImage[];
  /** continue from this turn instead of the head, making a new branch; null = start over from `images` */
  from?: number | null;
  /** default: random (recorded in the turn) */
  seed?: number;
  /** default: the model's (recorded in the turn) */
  steps?: number;
  guidance?: number;
  /** best of n (kontext-mini only): samples to choose from; default the model's (recorded in the turn) */
  candidates?: number;
  /** samples drawn again where the answer does not show the edit (kontext-mini only); default the model's (recorded) */
  retries?: number;
  /** size of a text-to-image turn (edits answer at their first image's size) */
  width?: number;
  height?: number;
  /**
   * The service job making this turn. If that job already recorded a turn (its worker died before the queue
   * heard it finish, and the job ran again), the edit returns that turn and runs nothing: one job, one turn.
   */
  job?: string;
}

export interface TurnResult {
  turn: Turn;
  image: RGBImage;
  /**
   * with the turn's `unshown` (the edits whose answer showed less of them than all after every try): the samples each
   * was given (SessionEditRequest.onUnshown); absent for a turn a job had already recorded
   */
  tries?: number;
}

function check(o: TurnOptions): void {
  if (typeof o.instruction !== 'string' || !o.instruction.trim())
    throw new UserError('the instruction is empty; say what to change, e.g. "make the circle blue"');
  if (o.seed !== undefined && !(Number.isSafeInteger(o.seed) && o.seed >= 0))
    throw new UserError(`seed must be a non-negative integer, got ${o.seed}`);
  if (o.steps !== undefined && !(Number.isInteger(o.steps) && o.steps >= 1 && o.steps <= 1000))
    throw new UserError(`steps must be an integer from 1 to 1000, got ${o.steps}`);
  if (o.guidance !== undefined && !(Number.isFinite(o.guidance) && o.guidance >= 0))
    throw new UserError(`guidance must be a number >= 0, got ${o.guidance}`);
  const bad = o.candidates === undefined ? null : candidatesProblem(o.candidates);
  if (bad) throw new UserError(`candidates ${bad}`);
  const badAgain = o.retries === undefined ? null : retriesProblem(o.retries);
  if (badAgain) throw new UserError(`retries ${badAgain}`);
  for (const [k, v] of [
    ['width', o.width],
    ['height', o.height],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= 4096))
      throw new UserError(`${k} must be an integer from 1 to 4096, got ${v}`);
  }
}

export class SessionEditor {
  constructor(
    readonly store: SessionStore,
    readonly model: SessionModel,
  ) {}

  async edit(session: string, o: TurnOptions): Promise<TurnResult> {
    check(o);
    const done = o.job === undefined ? null : this.store.turnOfJob(session, o.job);
    if (done) return { turn: done, image: await this.store.images.get(done.output) };
    const parentN = parentOf(this.store.session(session).head, o.from);
    const parent = parentN === null ? null : this.store.turn(session, parentN);
    // The inputs: the parent's output first (the image being edited), then the extra images. All of them are
    // stored, so the turn can name them by hash and an export can reproduce the edit.
    const extra = o.images ?? [];
    const what = parent ? `turn ${parent.n}'s output and ${extra.length} more` : 'the images given';
    const tooMany = imagesProblem(this.model, (parent ? 1 : 0) + extra.length, what);
    if (tooMany) throw new UserError(tooMany); // before anything is stored
    const images = parent ? [await this.store.images.get(parent.output), ...extra] : extra;
    // the parent's output in colour, where it is its world grey (a turn greyed it): the edit is made on it
    const color = parent?.color ? await this.store.images.get(parent.color) : undefined;
    const inputs = [
      ...(parent ? [parent.output] : []),
      ...(await Promise.all(extra.map((img) => this.store.images.put(img)))),
    ];

    const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
    const first = images[0];
    const t0 = performance.now();
    let madeAs: MadeAs | null = null;
    let unshown: { edits: string[]; tries: number } | undefined;
    let inColor: RGBImage | undefined;
    const out = await this.model.edit({
      prompt: o.instruction,
      images,
      width: first?.width ?? o.width ?? DEFAULT_SIZE,
      height: first?.height ?? o.height ?? DEFAULT_SIZE,
      seed,
      numInferenceSteps: o.steps,
      guidanceScale: o.guidance,
      candidates: o.candidates,
      retries: o.retries,
      previous: parent ? madeBy(parent) : undefined,
      color,
      onColor: (c) => {
        inColor = c;
      },
      onMade: (made) => {
        madeAs = made;
      },
      onUnshown: (edits, tries) => {
        unshown = { edits, tries };
      },
    });
    const seconds = (performance.now() - t0) / 1000;

    // the images are durable before the turn that names them exists
    const output = await this.store.images.put(out);
    const colorHash = inColor ? await this.store.images.put(inColor) : null;
    const turn = this.store.addTurn(session, {
      parent: parentN,
      instruction: o.instruction,
      inputs,
      output,
      width: out.width,
      height: out.height,
      steps: o.steps ?? this.model.defaults?.numInferenceSteps ?? null,
      guidance: o.guidance ?? this.model.defaults?.guidanceScale ?? null,
      candidates: o.candidates ?? this.model.defaults?.candidates ?? null,
      retries: o.retries ?? this.model.defaults?.retries ?? null,
      seed,
      model: this.model.name,
      seconds,
      madeAs,
      unshown: unshown?.edits ?? null,
      color: colorHash,
      ...(o.job === undefined ? {} : { job: o.job }),
    });
    return { turn, image: out, ...(unshown ? { tries: unshown.tries } : {}) };
  }
}
