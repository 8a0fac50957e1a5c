// `kontext generate "prompt" --out OUT`: text-to-image with the embedded model (or --model DIR).

import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import type { Command } from './main.ts';
import { runMini } from './mini.ts';

const HELP = `usage: kontext generate "prompt" --out <png> [options]

  --model DIR     a kontext-mini folder (default: the embedded model, models/kontext-mini)
  --width W --height H   output size (default: the model's square; the model draws at its own size, then scales)
  --steps N       denoising steps (default: the model's)
  --guidance G    classifier-free guidance scale (default: the model's)
  --seed S        noise seed (default: random, printed)
  --json          print one JSON line (out, size, seed, timings)
  --quiet         no progress line`;

const command: Command = {
  summary: 'generate an image from words with the embedded model',
  async run(argv) {
    const { values: v, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        out: { type: 'string' },
        steps: { type: 'string' },
        guidance: { type: 'string' },
        seed: { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (v.help) return console.log(HELP), 0;
    if (positionals.length !== 1) throw new UserError(`give one prompt (quoted): kontext generate "a red circle on a blue background" --out out.png`);
    if (!v.out) throw new UserError('--out is required (the PNG to write)');
    const int = (name: string, s: string | undefined, min: number, max: number) => {
      if (s === undefined) return undefined;
      const n = Number(s);
      if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`--${name} must be an integer from ${min} to ${max}, got '${s}'`);
      return n;
    };
    const g = v.guidance === undefined ? undefined : Number(v.guidance);
    if (g !== undefined && !Number.isFinite(g)) throw new UserError(`--guidance must be a number, got '${v.guidance}'`);
    return runMini({
      model: v.model, images: [], prompt: positionals[0], out: v.out,
      seed: int('seed', v.seed, 0, 2 ** 31 - 1), steps: int('steps', v.steps, 1, 1000), guidance: g,
      width: int('width', v.width, 8, 4096), height: int('height', v.height, 8, 4096), json: v.json, quiet: v.quiet,
    });
  },
};

export default command;
