// Help texts of `kontext session` and its subcommands (printed by --help, and named in error messages).

import { MAX_CANDIDATES, MAX_RETRIES } from '../mini/config.ts';

const DATA = `  --data DIR         the data folder: sessions.db + images/ (default ./kontext-data)
  --json             print JSON instead of text`;

export const USAGE = `usage: kontext session <new|edit|list|show|undo|branch|export> [options]

  Multi-turn editing: every edit is a turn that continues from the session's head (the current turn); undo moves
  the head back, branch moves it to any earlier turn, and the next edit then starts a new branch. Everything is
  kept in --data DIR (default ./kontext-data): sessions.db and images/<sha256>.png.

  kontext session new [NAME]                         start a session (named s1, s2, ... unless NAME is given)
  kontext session edit SESSION "instruction" [--image IMG]...   run one turn
  kontext session list                               the sessions
  kontext session show SESSION                       a session's turns as a tree
  kontext session undo SESSION                       move the head to its parent
  kontext session branch SESSION TURN                move the head to TURN (0: back to the start)
  kontext session export SESSION --out DIR           the turns' images + history.json

kontext session <subcommand> --help for the options of one subcommand`;

export const NEW_HELP = `usage: kontext session new [NAME] [options]

  NAME               letters, digits, '.', '_' or '-' (default: s1, s2, ..., the first free one)
${DATA}`;

export const EDIT_HELP = `usage: kontext session edit SESSION "instruction" [options]

  Edits the head's output (the first turn, or one after 'branch SESSION 0', edits --image instead; with no image
  it generates from the words) and makes the new turn the head.

  --image IMG        an image to edit (first turn) or an extra input after the head's output, e.g. a style
                     exemplar; repeat for several
  --from TURN        continue from TURN instead of the head (a new branch); 0 = start over from --image
  --model SPEC       mini (default, the embedded model), mini:<folder>, identity, noise, or another registered model
  --seed S           noise seed, 0-4294967295 (default: random, recorded)
  --steps N          denoising steps (default: the model's, recorded)
  --guidance G       guidance scale (default: the model's, recorded)
  --candidates N     best of N: sample N answers, keep the one the model finds most likely, 1-${MAX_CANDIDATES}
                     (kontext-mini only; default the model's, recorded)
  --retries N        sample again, at the next seeds, up to N times while the answer does not show the edit,
                     0-${MAX_RETRIES} (kontext-mini only; default the model's, recorded)
  --width W --height H   size of a generated first turn (default 64)
  --out FILE         also write the output image here (.png, .jpg or .webp: the extension sets the format)
  --force            replace --out if it exists
${DATA}`;

export const LIST_HELP = `usage: kontext session list [options]

${DATA}`;

export const SHOW_HELP = `usage: kontext session show SESSION [options]

  Prints every turn (all branches) as a tree, marking the head; --json gives the turns and the head's lineage.
${DATA}`;

export const UNDO_HELP = `usage: kontext session undo SESSION [options]

  Moves the head to its parent. Nothing is deleted: 'kontext session branch SESSION TURN' goes back to it.
${DATA}`;

export const BRANCH_HELP = `usage: kontext session branch SESSION TURN [options]

  Moves the head to TURN (a number from 'kontext session show'; 0 = the start, before any turn). The next edit
  continues from there, beside the turns that already follow TURN.
${DATA}`;

export const EXPORT_HELP = `usage: kontext session export SESSION --out DIR [options]

  Writes every turn's output (turn-001.png, ...), the images given as inputs (input-<hash>.png) and history.json
  (turns, parameters, seeds, models, timings, image hashes) to DIR, which must be new or empty.

  --out DIR          the folder to write
${DATA}`;
