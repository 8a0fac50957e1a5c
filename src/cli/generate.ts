// `kontext generate "prompt" --out OUT`: text-to-image with the embedded model (or --model DIR). Arguments are
// checked here, files in runMini, all before the model is loaded.

import { UserError } from '../errors.ts';
import { intArg, MAX_SEED, numArg, seedArg, parseCommand } from './args.ts';
import type { Command } from './main.ts';
import { MAX_CANDIDATES } from '../mini/config.ts';
import { runMini } from './mini.ts';

/** Output sides of the embedded model's text-to-image (it draws at its square and scales). */
const MIN_SIDE = 8;
const MAX_SIDE = 4096;

const HELP = `usage: kontext generate "prompt" --out <image> [options]

  --out FILE      the image to write: .png, .jpg or .webp (the extension sets the format); its folder must exist
  --force         replace --out if it exists
  --model DIR     a kontext-mini folder (default: the embedded model, models/kontext-mini)
  --width W --height H   output size, ${MIN_SIDE}-${MAX_SIDE} (default: the model's square; the model draws at its
                  own size, then scales)
  --steps N       denoising steps, 1-1000 (default: the model's)
  --guidance G    classifier-free guidance scale, 0-30 (default: the model's)
  --candidates N  sample N images (seeds S … S+N−1) and keep the one the model finds most likely, 1-${MAX_CANDIDATES}
                  (default: the model's setting; N times slower, src/mini/rerank.ts)
  --seed S        noise seed, 0-${MAX_SEED} (default: random, printed)
  --one-pass      draw the prompt in one pass; by default a prompt that names shapes or a word on a ground ("a red
                  circle at the top and the word 'SUN' on a peach background") is drawn as its ground, then each shape
                  added and the word written from its glyphs, one after the other (the model draws a scene from words
                  alone badly, a ground, an added shape and a word from its glyphs well; a note says so)
  --json          print one JSON line (out, size, seed, timings)
  --quiet         no progress line`;

const command: Command = {
  async run(argv) {
    const parsed = parseCommand(argv, HELP, {
      model: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      candidates: { type: 'string' },
      seed: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      'one-pass': { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
    });
    if (!parsed) return 0;
    const { values: v, positionals } = parsed;
    if (positionals.length !== 1) {
      const got = positionals.length > 1 ? ` (got ${positionals.length} arguments)` : '';
      throw new UserError(
        `give one prompt (quoted): kontext generate "a red circle on a blue background" --out out.png${got}`,
      );
    }
    return runMini({
      model: v.model,
      images: [],
      prompt: positionals[0],
      out: v.out!,
      force: v.force,
      seed: seedArg(v.seed),
      steps: intArg('--steps', v.steps, 1, 1000),
      guidance: numArg('--guidance', v.guidance, 0, 30),
      candidates: intArg('--candidates', v.candidates, 1, MAX_CANDIDATES),
      width: intArg('--width', v.width, MIN_SIDE, MAX_SIDE),
      height: intArg('--height', v.height, MIN_SIDE, MAX_SIDE),
      inParts: v['one-pass'] ? false : undefined,
      json: v.json,
      quiet: v.quiet,
    });
  },
};

export default command;
