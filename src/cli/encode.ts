// `kontext encode --prompt "..." --model DIR --out embeds.safetensors`: run FLUX's text encoders once and keep the
// result. The file is what `kontext edit --prompt-embeds` reads (txt [1, 512, 4096], vec [1, 768], float32), so a
// prompt can be encoded once (T5-XXL takes about a minute on a CPU) and used for many edits, or encoded on another
// machine. The header's metadata names the prompt and the encoder's identity.

import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { kontextPaths } from '../pipeline/load.ts';
import { saveEmbeds } from '../prompt/embeddings.ts';
import { FluxTextEncoder } from '../prompt/flux-text-encoder.ts';
import { kontextFileArgs, requireFiles, TEXT_ENCODER_OPTIONS, weightsArg } from './kontext-files.ts';
import { parseCommand } from './args.ts';
import type { Command } from './main.ts';

const HELP = `usage: kontext encode --prompt "instruction" --model <FLUX.1-Kontext-dev dir> --out <embeds.safetensors>
       kontext encode --prompt "..." --clip <file> --t5 <file> --tokenizers <dir> --out <embeds.safetensors>

Encodes a prompt with FLUX's T5-XXL and CLIP-L text encoders and writes txt [1, 512, 4096] and vec [1, 768]
(float32) to a safetensors file, which 'kontext edit --prompt-embeds' reads.

  --prompt P      the text to encode
  --model DIR     a diffusers FLUX.1 Kontext folder (text_encoder/, text_encoder_2/, tokenizer/, tokenizer_2/)
  --clip          CLIP-L: clip_l.safetensors or a text_encoder/ folder (overrides --model's)
  --t5            T5-XXL: t5xxl_fp16.safetensors, t5xxl_fp8_e4m3fn.safetensors or a text_encoder_2/ folder
  --tokenizers    a folder with tokenizer/ and tokenizer_2/ (single files carry no tokenizer)
  --weights f32|int8|int4   T5's weight format (default f32, which needs ~45 GB for T5-XXL; int8 peaks at
                  ~7 GB, int4 at ~4 GB and runs 2.5x faster on CPUs; CLIP-L stays f32)
  --out FILE      the safetensors file to write; --force replaces it
  --json          print one JSON line (out, tokens, dims, seconds, encoder)
  --quiet         no progress line`;

function checkOut(out: string | undefined, force: boolean): string {
  if (!out) throw new UserError(`--out is required: the safetensors file to write (see 'kontext encode --help')`);
  if (!/\.(safetensors|sft)$/.test(out))
    throw new UserError(`--out ${out}: name the file .safetensors (or .sft, as the BFL CLI's noise.sft)`);
  const parent = dirname(resolve(out));
  if (!existsSync(parent))
    throw new UserError(`--out ${out}: folder ${parent} does not exist; create it first (mkdir -p ${parent})`);
  if (existsSync(out) && statSync(out).isDirectory()) throw new UserError(`--out ${out} is a folder; give a file name`);
  if (existsSync(out) && !force)
    throw new UserError(`--out ${out} already exists; pass --force to replace it, or choose another name`);
  return out;
}

const command: Command = {
  async run(argv) {
    const parsed = parseCommand(argv, HELP, {
      prompt: { type: 'string' },
      model: { type: 'string' },
      ...TEXT_ENCODER_OPTIONS,
      weights: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
    });
    if (!parsed) return 0;
    const { values: v, positionals } = parsed;
    if (positionals.length)
      throw new UserError(
        `unexpected argument '${positionals[0]}': give the text as --prompt "..." (see 'kontext encode --help')`,
      );
    if (v.prompt === undefined)
      throw new UserError(`--prompt is required: the text to encode (see 'kontext encode --help')`);
    const files = kontextFileArgs(v, { text: true });
    const weights = weightsArg(v.weights);
    const out = checkOut(v.out, !!v.force);
    requireFiles(files);

    const quiet = !!(v.quiet || v.json);
    const status = (s: string) => void (quiet || process.stderr.write(s));
    const t0 = performance.now();
    const enc = await FluxTextEncoder.open(kontextPaths(files, true).text!, {
      weights,
      onProgress: (done, total) => status(`\rloading T5 ${done}/${total}${done === total ? '\n' : ''}`),
    });
    const e = await enc.encode(v.prompt);
    await enc.release();
    await saveEmbeds(out, e, {
      prompt: v.prompt,
      encoder: enc.id,
      t5_weights: weights,
      clip: enc.clip.files.join(','),
      t5: enc.t5.files.join(','),
    });
    const seconds = (performance.now() - t0) / 1000;
    const dims = { tokens: e.tokens, contextDim: e.txt.length / e.tokens, vecDim: e.vec.length };
    if (v.json) console.log(JSON.stringify({ out, ...dims, seconds: Math.round(seconds * 10) / 10, encoder: enc.id }));
    else
      console.log(`wrote ${out} (txt ${dims.tokens}x${dims.contextDim}, vec ${dims.vecDim}; ${seconds.toFixed(1)} s)`);
    return 0;
  },
};

export default command;
