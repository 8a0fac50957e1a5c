// Fuzzing the checkpoint layout detection: key sets mixing BFL, diffusers and prefixed names with odd shapes (for the
// plans), then whole folders (single files, component folders, shard indexes with hostile entries, corrupt files)
// for openCheckpoint. Every input must give a source whose every tensor reads back with its announced shape, or a
// UserError; validation against a configuration must pass or say why with a UserError.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  diffusersTransformerPlan,
  diffusersVaePlan,
  isDiffusersTransformer,
  isDiffusersVae,
  type Plan,
} from '../../src/checkpoint/diffusers.ts';
import { expectedFluxKeys, type KeyShapes } from '../../src/checkpoint/flux-keys.ts';
import { openCheckpoint } from '../../src/checkpoint/source.ts';
import { validateCheckpoint } from '../../src/checkpoint/validate.ts';
import { allocHost, numel, type DType, type HostTensor } from '../../src/engine/dtype.ts';
import { UserError } from '../../src/errors.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';
import { FLUX_KONTEXT_DEV } from '../../src/transformer/params.ts';
import { check, fc, hostileJsonText, outcome, valueOrDocumentedError } from './fuzz.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kontext-fuzz-ckpt-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const block = fc.integer({ min: 0, max: 2 });
const param = fc.constantFrom('weight', 'bias', 'scale');

/** Key names of every layout, some of them slightly wrong. */
const keyName: fc.Arbitrary<string> = fc.oneof(
  // diffusers transformer
  fc
    .tuple(
      block,
      fc.constantFrom(
        'attn.to_q',
        'attn.to_k',
        'attn.to_v',
        'attn.add_q_proj',
        'attn.add_k_proj',
        'attn.add_v_proj',
        'attn.norm_q',
        'attn.norm_added_k',
        'norm1.linear',
        'ff.net.2',
        'attn.to_out.0',
      ),
      param,
    )
    .map(([b, m, p]) => `transformer_blocks.${b}.${m}.${p}`),
  fc
    .tuple(
      block,
      fc.constantFrom('attn.to_q', 'attn.to_k', 'attn.to_v', 'proj_mlp', 'norm.linear', 'attn.norm_k', 'proj_out'),
      param,
    )
    .map(([b, m, p]) => `single_transformer_blocks.${b}.${m}.${p}`),
  fc
    .tuple(
      fc.constantFrom(
        'x_embedder',
        'context_embedder',
        'norm_out.linear',
        'proj_out',
        'time_text_embed.timestep_embedder.linear_1',
      ),
      param,
    )
    .map(([m, p]) => `${m}.${p}`),
  // diffusers autoencoder
  fc
    .tuple(
      fc.constantFrom('encoder', 'decoder'),
      fc.constantFrom('down_blocks', 'up_blocks'),
      block,
      fc.constantFrom(
        'resnets.0.conv1',
        'resnets.1.norm2',
        'resnets.0.conv_shortcut',
        'downsamplers.0.conv',
        'upsamplers.0.conv',
      ),
      param,
    )
    .map(([a, b, i, m, p]) => `${a}.${b}.${i}.${m}.${p}`),
  fc
    .tuple(
      fc.constantFrom('encoder', 'decoder'),
      fc.constantFrom(
        'mid_block.attentions.0.to_q',
        'mid_block.attentions.0.query',
        'mid_block.attentions.0.group_norm',
        'mid_block.resnets.1.conv2',
        'conv_norm_out',
        'conv_in',
      ),
      param,
    )
    .map(([a, m, p]) => `${a}.${m}.${p}`),
  // BFL
  fc.constantFrom(
    'img_in.weight',
    'txt_in.bias',
    'double_blocks.0.img_attn.qkv.weight',
    'single_blocks.0.linear1.weight',
    'final_layer.adaLN_modulation.1.weight',
    'decoder.mid.attn_1.q.weight',
    'encoder.conv_in.weight',
    'guidance_in.in_layer.weight',
  ),
  // parts named like Object.prototype members (a lookup table indexed by them must not find the prototype's)
  fc
    .tuple(
      fc.constantFrom(
        'encoder.down_blocks.0.resnets.0',
        'decoder.mid_block.attentions.0',
        'transformer_blocks.0',
        'single_transformer_blocks.1',
        '',
      ),
      fc.constantFrom('constructor', '__proto__', 'toString', 'valueOf'),
      param,
    )
    .map(([m, x, p]) => `${m ? `${m}.` : ''}${x}.${p}`),
  // odd ones
  fc.constantFrom(
    'weight',
    '',
    '.',
    'x_embedder.',
    'transformer_blocks.99999999999999999999.attn.to_q.weight',
    'decoder.up_blocks.7.resnets.0.conv1.weight',
    'lora_unet.x',
    '__proto__',
    'constructor.weight',
  ),
  fc.string({ maxLength: 12 }),
);

const withPrefix = fc
  .tuple(fc.constantFrom('', '', '', 'model.diffusion_model.', 'first_stage_model.', 'vae.'), keyName)
  .map(([p, k]) => p + k);
const shape: fc.Arbitrary<number[]> = fc.oneof(
  fc.constantFrom<number[]>([], [0], [1], [3], [2, 2], [4, 2], [6, 2], [3, 2], [2, 2, 1, 1]).map((s) => [...s]),
  fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
);
const keyShapes: fc.Arbitrary<KeyShapes> = fc
  .uniqueArray(fc.tuple(withPrefix, shape), { selector: ([k]) => k, maxLength: 14 })
  .map((kv) => new Map(kv));

/** The plan openCheckpoint would make for these names. */
function planOf(shapes: KeyShapes): Plan {
  if (isDiffusersTransformer(shapes.keys())) return diffusersTransformerPlan(shapes);
  if (isDiffusersVae(shapes.keys())) return diffusersVaePlan(shapes);
  return {
    recipes: new Map([...shapes].map(([k, s]) => [k, { op: 'copy' as const, src: k, shape: s }])),
    unmapped: [],
  };
}

const validShape = (s: number[]) => s.every((d) => Number.isSafeInteger(d) && d >= 0);

describe('fuzz: checkpoint layout detection', () => {
  it('plans: every source tensor is used exactly once, every recipe shape agrees with its sources', async () => {
    await check(
      'checkpoint plans',
      fc.property(keyShapes, (shapes) => {
        const plan = planOf(shapes);
        outcome(plan.unmapped.length ? 'some unmapped' : 'all mapped');
        const used = new Map<string, number>();
        const use = (src: string) => used.set(src, (used.get(src) ?? 0) + 1);
        plan.unmapped.forEach(use);
        for (const [bfl, r] of plan.recipes) {
          expect(validShape(r.shape), bfl).toBe(true);
          // a name made of the source name's characters (not of a function's source text, '[object Object]', ...)
          const srcs = r.op === 'concat' ? r.srcs : [r.src];
          if (srcs.every((s) => /^[\w.]*$/.test(s))) expect(bfl).toMatch(/^[\w.-]*$/);
          if (r.op === 'concat') {
            r.srcs.forEach(use);
            const parts = r.srcs.map((s) => shapes.get(s)!);
            expect(parts.length).toBeGreaterThanOrEqual(3);
            for (const p of parts) {
              expect(p.length).toBeGreaterThanOrEqual(1);
              expect(p.slice(1)).toEqual(parts[0].slice(1));
            }
            expect(r.shape).toEqual([parts.reduce((n, p) => n + p[0], 0), ...parts[0].slice(1)]);
          } else {
            use(r.src);
            const s = shapes.get(r.src)!;
            expect(numel(r.shape)).toBe(numel(s));
            if (r.op === 'swapHalves') {
              expect(r.shape).toEqual(s);
              expect(s.length >= 1 && s[0] % 2 === 0).toBe(true);
            }
          }
        }
        expect([...used.keys()].sort()).toEqual([...shapes.keys()].sort());
        for (const [k, n] of used) expect(n, k).toBe(1);
      }),
      1000,
    );
  });

  // ---------------------------------------------------------------- whole folders
  const DTYPES: DType[] = ['float32', 'bfloat16', 'float16', 'uint8'];
  const tensor = (s: number[], dtype: DType, seed: number): HostTensor => {
    const data = allocHost(dtype, numel(s));
    for (let i = 0; i < data.length; i++) (data as Uint8Array)[i] = (i * 7 + seed) & 0x3f;
    return { dtype, shape: s, data };
  };

  /** A folder to open: where the files go, how they are split, what is broken. */
  const layout = fc.record({
    // names the writer refuses
    shapes: keyShapes.map((m) => new Map([...m].filter(([k]) => k !== '' && k !== '__metadata__'))),
    dtypes: fc.array(fc.constantFrom(...DTYPES), { minLength: 14, maxLength: 14 }),
    place: fc.constantFrom(
      'root-bfl',
      'root-ae',
      'root-other',
      'transformer',
      'transformer',
      'vae',
      'vae',
      'two-files',
    ),
    shards: fc.integer({ min: 1, max: 3 }),
    index: fc.constantFrom(
      'ok',
      'ok',
      'ok',
      'escape',
      'absolute',
      'subfolder',
      'missing-shard',
      'foreign-key',
      'not-json',
      'null',
      'no-map',
      'hostile',
      'two-indexes',
    ),
    hostile: hostileJsonText,
    corrupt: fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }) },
    ),
    which: fc.constantFrom('transformer' as const, 'ae' as const),
    openFile: fc.boolean(),
  });

  type Layout = typeof layout extends fc.Arbitrary<infer T> ? T : never;
  let caseNo = 0;
  async function build(l: Layout): Promise<{ dir: string; opened: string }> {
    const dir = path.join(root, `c${caseNo++}`);
    const keys = [...l.shapes.keys()];
    const tensors = new Map(keys.map((k, i) => [k, tensor(l.shapes.get(k)!, l.dtypes[i % 14], i)]));
    const sub = l.place === 'transformer' || l.place === 'vae' ? path.join(dir, l.place) : dir;
    await mkdir(sub, { recursive: true });
    let opened: string = dir;
    if (l.place === 'root-bfl' || l.place === 'root-ae' || l.place === 'root-other' || l.place === 'two-files') {
      const names: Record<string, string> = {
        'root-bfl': 'flux1-kontext-dev.safetensors',
        'root-ae': 'ae.safetensors',
        'root-other': 'model.safetensors',
        'two-files': 'a.safetensors',
      };
      const name = names[l.place];
      await writeSafetensors(path.join(dir, name), tensors);
      if (l.place === 'two-files') await writeSafetensors(path.join(dir, 'b.safetensors'), new Map());
      if (l.openFile) opened = path.join(dir, name);
    } else if (l.shards === 1) {
      await writeSafetensors(path.join(sub, 'diffusion_pytorch_model.safetensors'), tensors);
      if (l.openFile) opened = sub;
    } else {
      const weightMap: Record<string, unknown> = {};
      const per = Math.ceil(keys.length / l.shards);
      for (let s = 0; s < l.shards; s++) {
        const name = `m-${s}.safetensors`;
        const part = new Map(keys.slice(s * per, (s + 1) * per).map((k) => [k, tensors.get(k)!]));
        for (const k of part.keys()) weightMap[k] = name;
        if (!(l.index === 'missing-shard' && s === l.shards - 1)) await writeSafetensors(path.join(sub, name), part);
      }
      const first = keys[0] ?? 'k';
      if (l.index === 'escape') weightMap[first] = '../../outside.safetensors';
      if (l.index === 'absolute') weightMap[first] = '/etc/hostname';
      if (l.index === 'subfolder') weightMap[first] = 'x/m-0.safetensors';
      if (l.index === 'foreign-key') weightMap['not.in.any.shard'] = 'm-0.safetensors';
      const indexPath = path.join(sub, 'diffusion_pytorch_model.safetensors.index.json');
      const text =
        l.index === 'not-json'
          ? '{"weight_map": '
          : l.index === 'null'
            ? 'null'
            : l.index === 'no-map'
              ? '{"metadata": {}}'
              : l.index === 'hostile'
                ? `{"weight_map": {"k": ${l.hostile}}}`
                : JSON.stringify({ weight_map: weightMap });
      await writeFile(indexPath, text);
      if (l.index === 'two-indexes') await writeFile(path.join(sub, 'other.safetensors.index.json'), text);
      if (l.openFile) opened = indexPath;
    }
    if (l.corrupt) {
      // one byte of the first file changed (header length, JSON or data)
      const file = (await readdir(sub)).filter((f) => f.endsWith('.safetensors')).sort()[0];
      if (file) {
        const bytes = await readFile(path.join(sub, file));
        bytes[l.corrupt.at % bytes.length] = l.corrupt.byte;
        await writeFile(path.join(sub, file), bytes);
      }
    }
    return { dir, opened };
  }

  it('openCheckpoint: a source whose every tensor reads back with its shape, or a UserError', async () => {
    await check(
      'checkpoint folders',
      fc.asyncProperty(layout, async (l) => {
        const { dir, opened } = await build(l);
        try {
          const src = await valueOrDocumentedError(() => openCheckpoint(opened, l.which));
          if (!src) return void outcome('refused');
          outcome('opened');
          try {
            const shapes = src.shapes();
            expect(src.keys()).toEqual([...shapes.keys()]);
            for (const k of src.keys()) {
              expect(validShape(src.shape(k)), k).toBe(true);
              const t = await valueOrDocumentedError(() => src.read(k));
              if (!t) continue; // parts of different dtypes: a UserError naming the tensor
              expect(t.shape, k).toEqual(src.shape(k));
              expect(t.data.length, k).toBe(numel(t.shape));
              expect(t.dtype, k).toBe(src.dtype(k));
              expect(src.origin(k).length).toBeGreaterThan(0);
            }
            await valueOrDocumentedError(() => validateCheckpoint(src, expectedFluxKeys(FLUX_KONTEXT_DEV)));
            if (src.layout.includes('diffusers')) outcome('opened as diffusers');
          } finally {
            await src.close();
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
      120,
      { timeout: 20_000 },
    );
  });
});

describe('checkpoint regressions found by fuzzing', () => {
  it('a diffusers final modulation with odd or no rows is reported by validation, not a RangeError on read', () => {
    for (const s of [[3, 2], [], [5]]) {
      const plan = diffusersTransformerPlan(
        new Map([
          ['x_embedder.weight', [4, 2]],
          ['norm_out.linear.weight', s],
        ]),
      );
      expect(plan.recipes.has('final_layer.adaLN_modulation.1.weight')).toBe(false);
      expect(plan.unmapped).toContain('norm_out.linear.weight');
    }
  });

  it('0-d parts of a fused q/k/v are not concatenated into a [NaN] tensor', () => {
    const parts = ['to_q', 'to_k', 'to_v'].map(
      (p) => [`transformer_blocks.0.attn.${p}.weight`, []] as [string, number[]],
    );
    const plan = diffusersTransformerPlan(new Map(parts));
    expect(plan.recipes.has('double_blocks.0.img_attn.qkv.weight')).toBe(false);
    expect(plan.unmapped.sort()).toEqual(parts.map(([k]) => k).sort());
  });

  it('old and new diffusers names of one VAE tensor: the second is reported, not dropped', () => {
    const plan = diffusersVaePlan(
      new Map([
        ['decoder.mid_block.attentions.0.to_q.weight', [2, 2]],
        ['decoder.mid_block.attentions.0.query.weight', [2, 2]],
      ]),
    );
    expect([...plan.recipes.keys()]).toEqual(['decoder.mid.attn_1.q.weight']);
    expect(plan.unmapped).toEqual(['decoder.mid_block.attentions.0.query.weight']);
  });

  it("VAE names with a part 'constructor' or '__proto__' map to nothing (not to 'function Object() {…}')", () => {
    const keys = [
      'encoder.down_blocks.0.resnets.0.constructor.weight',
      'decoder.mid_block.attentions.0.__proto__.weight',
      'decoder.mid_block.attentions.0.toString.weight',
    ];
    const plan = diffusersVaePlan(new Map(keys.map((k) => [k, [2, 2]])));
    expect(plan.recipes.size).toBe(0);
    expect(plan.unmapped).toEqual(keys);
  });

  it('a shard index naming a 50 000-character file is reported in a short message', async () => {
    const dir = path.join(root, 'long');
    await mkdir(dir, { recursive: true });
    const index = path.join(dir, 'model.safetensors.index.json');
    await writeFile(index, JSON.stringify({ weight_map: { k: 'x'.repeat(50_000) } }));
    const err = await openCheckpoint(index, 'transformer').catch((e: Error) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^shard '.*x…' listed in .* is missing/);
    expect((err as Error).message.length).toBeLessThan(600);
  });

  it('a file holding one tensor under BFL and diffusers names is refused, not silently halved', async () => {
    const file = path.join(root, 'mixed.safetensors');
    const t = (s: number[]): HostTensor => ({ dtype: 'float32', shape: s, data: new Float32Array(numel(s)) });
    await writeSafetensors(file, { 'x_embedder.weight': t([4, 2]), 'img_in.weight': t([4, 2]) });
    await expect(openCheckpoint(file, 'transformer')).rejects.toThrow(
      /holds tensor 'img_in.weight' twice: under that name and as 'x_embedder.weight'/,
    );
  });

  it('a shard index that is JSON null, or names a value nested deep, is a UserError', async () => {
    const dir = path.join(root, 'idx');
    await mkdir(dir, { recursive: true });
    const index = path.join(dir, 'model.safetensors.index.json');
    await writeFile(index, 'null');
    await expect(openCheckpoint(index, 'transformer')).rejects.toThrow(UserError);
    await writeFile(index, `{"weight_map": {"k": ${'['.repeat(50_000)}${']'.repeat(50_000)}}}`);
    await expect(openCheckpoint(index, 'transformer')).rejects.toThrow(
      /maps 'k' to \[\[\[\[…\]\]\]\], which is not a file name/,
    );
  });
});
