// `kontext models [PATH]`: with a path, what a checkpoint or model folder holds (src/checkpoint/inspect.ts); with
// none, the models every --model option knows (the embedded kontext-mini and the built-in baselines).

import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { knownModels } from '../bench/model.ts';
import { inspectModels, type ComponentReport, type ModelReport } from '../checkpoint/inspect.ts';
import { UserError } from '../errors.ts';
import { EMBEDDED_MODEL } from '../mini/embedded.ts';
import { parseCommand } from './args.ts';
import type { Command } from './main.ts';

const HELP = `usage: kontext models [PATH] [--json]

With no PATH: the models --model accepts (kontext edit, session edit, serve, worker, bench run).
With PATH: what a checkpoint or model folder holds, from the file headers only (nothing large is read):
  - a kontext-mini folder (config.json, transformer/text_encoder/ae.safetensors, tokenizer.json; with the words it
    knows), or mini (the embedded one) or mini:DIR as --model names them,
  - a FLUX.1 Kontext checkpoint: BFL files (flux1-kontext-dev.safetensors, ae.safetensors) or a diffusers folder
    (transformer/, vae/, text_encoder/, text_encoder_2/, sharded or not), or one component file or folder,
  - the text encoders' single files (clip_l.safetensors, t5xxl_fp16.safetensors, t5xxl_fp8_e4m3fn.safetensors),
  - a folder of loose .safetensors files: each file.
For each: layout, configuration, parameters by dtype, size on disk, and the memory one edit would need with
f32, int8 or int4 weights (the estimate kontext edit checks before loading; for text encoders, one prompt).

  --json   one JSON document: {"models": [...]}

Examples:
  kontext models
  kontext models mini
  kontext models ~/FLUX.1-Kontext-dev --json`;

const command: Command = {
  async run(argv) {
    const parsed = parseCommand(argv, HELP, { json: { type: 'boolean' } });
    if (!parsed) return 0;
    const { values: v, positionals } = parsed;
    if (positionals.length > 1)
      throw new UserError(
        `unexpected argument '${positionals[1]}': give one checkpoint file or model folder (kontext models --help)`,
      );
    if (positionals.length === 0) {
      const models = await builtins();
      console.log(v.json ? JSON.stringify({ models }, null, 2) : formatBuiltins(models));
      return 0;
    }
    // the --model spec of a kontext-mini folder names it too: mini (the embedded one), mini:DIR
    const [spec] = positionals;
    const path = spec === 'mini' ? EMBEDDED_MODEL : spec.startsWith('mini:') ? spec.slice('mini:'.length) : spec;
    const models = await inspectModels(path);
    console.log(v.json ? JSON.stringify({ models }, null, 2) : models.map(formatReport).join('\n\n'));
    return 0;
  },
};

export default command;

// ---- built-in models ---------------------------------------------------------------------------------------------

interface Builtin {
  spec: string;
  help: string;
  /** the folder of a model with weights (kontext-mini) */
  path?: string;
  parameters?: number;
  bytes?: number;
}

async function builtins(): Promise<Builtin[]> {
  const out: Builtin[] = [];
  for (const { prefix, help } of knownModels()) {
    if (prefix === 'mini' && existsSync(EMBEDDED_MODEL)) {
      const [r] = await inspectModels(EMBEDDED_MODEL);
      out.push({ spec: prefix, help, path: EMBEDDED_MODEL, parameters: r.parameters, bytes: r.bytes });
    } else {
      out.push({ spec: prefix, help });
    }
  }
  return out;
}

function formatBuiltins(models: Builtin[]): string {
  const lines = models.map((m) => {
    const weights = m.path
      ? ` (${shortPath(m.path)}: ${count(m.parameters!)} parameters, ${bytes(m.bytes!)}; the default)`
      : '';
    return `  ${m.spec.padEnd(12)} ${m.help}${weights}`;
  });
  return [
    'models for --model (kontext edit, session edit, serve, worker, bench run):',
    ...lines,
    '',
    'kontext models PATH describes a checkpoint or model folder.',
  ].join('\n');
}

// ---- a report as text ----------------------------------------------------------------------------------------------

function formatReport(r: ModelReport): string {
  const lines = [`${r.path}  (${r.layout})`];
  for (const c of r.components) {
    const what = c.role === 'tensors' ? 'values' : 'parameters';
    lines.push(
      `  ${c.role.padEnd(13)} ${c.storage}: ${count(c.parameters)} ${what} in ${c.tensors} tensors ` +
        `(${dtypes(c)}), ${bytes(c.bytes)}`,
    );
    const cfg = describeConfig(c);
    if (cfg) lines.push(`  ${''.padEnd(13)} ${cfg}`);
    if (c.note) lines.push(`  ${''.padEnd(13)} ${c.note}`);
  }
  if (r.components.length > 1)
    lines.push(`  ${'total'.padEnd(13)} ${count(r.parameters)} parameters, ${bytes(r.bytes)} on disk`);
  if (r.memory) {
    const m = r.memory;
    const formats = (b: Record<string, number>) => `f32 ${bytes(b.f32)}, int8 ${bytes(b.int8)}, int4 ${bytes(b.int4)}`;
    if (m.tokens)
      lines.push(
        `  ${'memory'.padEnd(13)} ${m.run}, ${m.tokens} tokens: ${formats(m.bytes)} (transformer, estimated peak)`,
      );
    if (m.textEncoders) {
      lines.push(
        `  ${(m.tokens ? '' : 'memory').padEnd(13)} encoding one prompt: ` +
          `${formats(m.textEncoders)} (T5 in that format, CLIP f32; released before the transformer loads)`,
      );
    }
  }
  if (r.mini)
    lines.push(
      `  ${'sampling'.padEnd(13)} at ${r.mini.resolution}×${r.mini.resolution}, ` +
        `${r.mini.sampling.numInferenceSteps} steps, guidance ${r.mini.sampling.guidanceScale}` +
        (r.mini.sampling.preserve
          ? `; keeps the input outside the edit (threshold ${r.mini.sampling.preserve.threshold})`
          : '') +
        "; a style reference's style read as its shapes are drawn (else by the model's own loss), then drawn as named" +
        (r.mini.sampling.retries
          ? `; sampled again up to ${r.mini.sampling.retries} times where the answer does not show the edit`
          : ''),
    );
  if (r.mini) {
    const reads =
      'the words below as typed, in British spelling (colour, grey, centre), in the plural (circles) or one typo ' +
      "off (cirlce); a label ('FLUX', in quotes or capitals) letter by letter; any other word without meaning";
    lines.push(...wrap(reads, 'reads'));
    lines.push(...wrap(`${r.mini.words.length} it knows: ${r.mini.words.join(' ')}`, 'words'));
  }
  return lines.join('\n');
}

/** A long value under a 13-wide label, wrapped at 118 columns. */
function wrap(text: string, label: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > 118 - 16) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out.map((l, i) => `  ${(i ? '' : label).padEnd(13)} ${l}`);
}

function describeConfig(c: ComponentReport): string | null {
  const p = c.config as Record<string, unknown> | null;
  if (!p) return null;
  if (c.role === 'transformer') {
    return (
      `hidden ${p.hidden_size}, ${p.num_heads} heads, ${p.depth} double + ${p.depth_single_blocks} single blocks, ` +
      `mlp ×${p.mlp_ratio}, ${p.in_channels} latent channels, text ${p.context_in_dim}, vec ${p.vec_in_dim}, ` +
      `${p.guidance_embed ? 'guidance embedding' : 'no guidance embedding'}`
    );
  }
  if (c.role === 'autoencoder') {
    return (
      `ch ${p.ch}${p.decoder_ch ? ` (decoder ${p.decoder_ch})` : ''} × [${(p.ch_mult as number[]).join(', ')}], ` +
      `${p.num_res_blocks} res block(s), ` +
      `${p.z_channels} latent channels, scale ${p.scale_factor}, shift ${p.shift_factor}`
    );
  }
  if (c.encoder === 'CLIP') {
    return (
      `CLIP text model: hidden ${p.hidden_size}, ${p.num_hidden_layers} layers, ${p.num_attention_heads} heads, ` +
      `vocabulary ${p.vocab_size}, up to ${p.max_position_embeddings} tokens`
    );
  }
  if (c.encoder === 'T5')
    return (
      `T5 encoder: d_model ${p.d_model}, ${p.num_layers} blocks, ${p.num_heads} heads, d_ff ${p.d_ff}, ` +
      `vocabulary ${p.vocab_size}`
    );
  return (
    `dim ${p.dim}, ${p.depth} blocks, ${p.num_heads} heads, vocabulary ${p.vocab_size}, ` +
    `up to ${p.max_length} tokens`
  );
}

/** A path relative to the working folder when it is inside it (the embedded model, run from a checkout). */
function shortPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}

const dtypes = (c: ComponentReport) => Object.keys(c.dtypes).join(', ');

function count(n: number): string {
  if (n < 1e3) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(2)} M`;
  return `${(n / 1e9).toFixed(2)} B`;
}

function bytes(b: number): string {
  if (b < 1024) return `${b} B`;
  if (b < 1024 ** 2) return `${(b / 1024).toFixed(1)} KiB`;
  if (b < 1024 ** 3) return `${(b / 1024 ** 2).toFixed(1)} MiB`;
  return `${(b / 1024 ** 3).toFixed(2)} GiB`;
}
