// The records of a multi-turn editing session, as the store hands them out.
//
// A session is a tree of turns. Every turn edits the output of its parent (or, for a root turn, images the user
// gave) with one instruction, so the path from a root down to a turn is the edit history that produced its image.
// The session's `head` is the turn the next edit continues from: undo moves it to the head's parent, branch moves
// it to any earlier turn, and the next edit then grows a new branch next to the old one. Nothing is ever deleted.
//
// Images are named by the SHA-256 of their PNG bytes (content addressing, as git names objects): a turn stores
// hashes, the image store maps a hash to images/<hash>.png, and identical images are stored once.

export interface Session {
  /** short name used on the command line: given by the user, or s1, s2, ... */
  id: string;
  /** ISO 8601 time of creation */
  createdAt: string;
  /** the current turn's number, or null before the first turn (or after undoing it) */
  head: number | null;
  /** number of turns (all branches) */
  turnCount: number;
}

/**
 * What a model made of a request when that was not the instruction as given, one edit: kontext-mini makes an
 * instruction that asks for several edits as those edits, one after the other, a style reference as the
 * exemplar's style read and named in words, and an instruction whose "it" means the shape the turn before edited
 * with that shape named ("move the blue circle up") (src/mini/editor.ts).
 */
export interface MadeAs {
  /** the instructions the model was given, in order */
  edits: string[];
  /** the style read from a style reference's exemplar (e.g. 'striped') */
  style?: string;
}

/** What a finished edit adds to a session (the store fills in the number and creation time). */
export interface TurnInput {
  /** the parent turn's number; null for a root turn (one that starts from the user's images) */
  parent: number | null;
  instruction: string;
  /** hashes of the model's input images, in order (content first, then e.g. a style exemplar) */
  inputs: string[];
  /** hash of the output image */
  output: string;
  width: number;
  height: number;
  /** denoising steps and guidance the model used; null where the model has no such knob (identity, noise) */
  steps: number | null;
  guidance: number | null;
  /** samples the answer was chosen from (best of n); null where the model has no such knob, and for turns stored
   *  before the knob existed (those sampled one) */
  candidates: number | null;
  /** samples the model could draw again where its answer did not show the edit (kontext-mini's retries); null
   *  where the model has no such knob, and for turns stored before the knob was recorded */
  retries: number | null;
  seed: number;
  /** the model's name (EditModel.name) */
  model: string;
  /** wall time of the model call, seconds */
  seconds: number;
  /** the service job that made this turn, if any: a job run twice (after a crash) records one turn */
  job?: string;
  /** what the model made of the instruction, where not the instruction as given (MadeAs); null or absent: as given */
  madeAs?: MadeAs | null;
  /**
   * the edits (as made) whose answer showed less of them than all after every try, as the model's output step reads
   * them (kontext-mini: MiniEditResult.unshown; the answer that showed the most is the output); null or absent: none
   */
  unshown?: string[] | null;
  /**
   * hash of the output in colour, where the output is its world grey (kontext-mini: a turn that greyed the picture,
   * or an edit of a greyed picture made in colour and greyed again, MiniEditResult.color): the next turn's edit is
   * made on it; null or absent: none
   */
  color?: string | null;
}

export interface Turn extends TurnInput {
  /** null: the instruction as given, or a turn stored before this was recorded */
  madeAs: MadeAs | null;
  /** null: none said (every edit the model's output step reads was shown), or a turn stored before this was recorded */
  unshown: string[] | null;
  /** null: none recorded (the output is no grey of a picture in colour kept, or a turn stored before this was) */
  color: string | null;
  session: string;
  /** 1, 2, 3, ... in order of creation within the session, across all branches */
  n: number;
  /** ISO 8601 time the turn was stored */
  createdAt: string;
}
