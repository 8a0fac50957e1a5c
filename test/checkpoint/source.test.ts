import { mkdir, mkdtemp, readFile, rm, writeFile, copyFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bflToDiffusersTransformer,
  bflToDiffusersVae,
  diffusersTransformerPlan,
} from '../../src/checkpoint/diffusers.ts';
import type { KeyShapes } from '../../src/checkpoint/flux-keys.ts';
import { openCheckpoint, type CheckpointSource } from '../../src/checkpoint/source.ts';
import { bf16ToF32, type HostTensor } from '../../src/engine/dtype.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';
import { fixture } from '../io/fixtures.ts';
import { loadMap, sameTensor, writeDiffusersComponent } from './helpers.ts';

let dir: string;
let tiny: Map<string, HostTensor>;
let t2i: Map<string, HostTensor>;
let ae: Map<string, HostTensor>;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kontext-ckpt-'));
  tiny = await loadMap(fixture('flux-tiny.weights.safetensors'));
  t2i = await loadMap(fixture('flux-tiny-t2i-noguid.weights.safetensors'));
  ae = await loadMap(fixture('ae-tiny.weights.safetensors'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withSource<T>(
  p: string,
  which: 'transformer' | 'ae',
  fn: (s: CheckpointSource) => Promise<T>,
): Promise<T> {
  const s = await openCheckpoint(p, which);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** Every tensor of `ref` comes out of the source bit-identical, and the source has nothing else. */
async function expectSame(s: CheckpointSource, ref: Map<string, HostTensor>): Promise<void> {
  expect(s.keys().sort()).toEqual([...ref.keys()].sort());
  for (const [k, t] of ref) {
    expect(s.shape(k), k).toEqual(t.shape);
    expect(s.dtype(k), k).toBe(t.dtype);
    expect(sameTensor(await s.read(k), t), k).toBe(true);
  }
}

const sorted = (m: KeyShapes) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));

describe('diffusers → BFL mapping on the real layouts', () => {
  it('maps the 1160 diffusers keys of FLUX.1 Kontext [dev] to the 780 official BFL keys and shapes', async () => {
    const txt = await readFile(path.resolve(fixture(''), '../../docs/keys-diffusers-transformer.txt'), 'utf8');
    const diffusers: KeyShapes = new Map(
      txt
        .trim()
        .split('\n')
        .map((line) => {
          const [k, s] = line.split('\t');
          return [k, JSON.parse(s)];
        }),
    );
    expect(diffusers.size).toBe(1160);
    const plan = diffusersTransformerPlan(diffusers);
    expect(plan.unmapped).toEqual([]);
    const official: KeyShapes = new Map(
      Object.entries(JSON.parse(await readFile(fixture('official-shapes.json'), 'utf8'))['flux1-kontext-dev']),
    );
    const mapped: KeyShapes = new Map([...plan.recipes].map(([k, r]) => [k, r.shape]));
    expect(sorted(mapped)).toEqual(sorted(official));
    expect(plan.recipes.get('double_blocks.3.img_attn.qkv.weight')).toEqual({
      op: 'concat',
      srcs: [
        'transformer_blocks.3.attn.to_q.weight',
        'transformer_blocks.3.attn.to_k.weight',
        'transformer_blocks.3.attn.to_v.weight',
      ],
      shape: [9216, 3072],
    });
    expect(plan.recipes.get('single_blocks.0.linear1.bias')).toMatchObject({ op: 'concat', shape: [21504] });
    expect(plan.recipes.get('final_layer.adaLN_modulation.1.weight')).toEqual({
      op: 'swapHalves',
      src: 'norm_out.linear.weight',
      shape: [6144, 3072],
    });

    // and the inverse produces exactly the diffusers names (checked on the tiny model: blocks 0 and 1)
    const names = [...bflToDiffusersTransformer(tiny).keys()].sort();
    const expected = [...diffusers.keys()].filter((k) => !/^(single_)?transformer_blocks\.([2-9]|\d\d)/.test(k)).sort();
    expect(names).toEqual(expected);
  });
});

describe('openCheckpoint', () => {
  it('reads a BFL single file as is', async () => {
    await withSource(fixture('flux-tiny.weights.safetensors'), 'transformer', async (s) => {
      expect(s.layout).toBe('single file, BFL names');
      await expectSame(s, tiny);
      const w = tiny.get('img_in.weight')!;
      expect([...(await s.readF32('img_in.weight'))]).toEqual([...bf16ToF32(w.data as Uint16Array)]);
      expect(s.origin('img_in.weight')).toEqual([`${fixture('flux-tiny.weights.safetensors')}: img_in.weight`]);
      await expect(s.read('nope')).rejects.toThrow("has no tensor 'nope'");
    });
  });

  it("strips the 'model.diffusion_model.' prefix of repackaged files", async () => {
    const p = path.join(dir, 'prefixed.safetensors');
    await writeSafetensors(p, new Map([...tiny].map(([k, t]) => [`model.diffusion_model.${k}`, t])));
    await withSource(p, 'transformer', async (s) => {
      expect(s.layout).toContain("prefix 'model.diffusion_model.' stripped");
      await expectSame(s, tiny);
    });
  });

  it('picks the transformer or the autoencoder out of an all-in-one file', async () => {
    const p = path.join(dir, 'all-in-one.safetensors');
    const clip: HostTensor = { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) };
    await writeSafetensors(
      p,
      new Map<string, HostTensor>([
        ...[...tiny].map(([k, t]) => [`model.diffusion_model.${k}`, t] as [string, HostTensor]),
        ...[...ae].map(([k, t]) => [`first_stage_model.${k}`, t] as [string, HostTensor]),
        ['text_encoders.clip_l.transformer.text_model.final_layer_norm.weight', clip],
      ]),
    );
    await withSource(p, 'transformer', (s) => expectSame(s, tiny));
    await withSource(p, 'ae', (s) => expectSame(s, ae));
  });

  it('reads a diffusers repository folder (transformer/ single file) back to identical BFL tensors', async () => {
    const root = path.join(dir, 'diffusers-single');
    await writeDiffusersComponent(root, 'transformer', bflToDiffusersTransformer(tiny));
    await withSource(root, 'transformer', async (s) => {
      expect(s.layout).toBe('diffusers folder, single file, diffusers transformer names');
      await expectSame(s, tiny);
      expect(s.origin('double_blocks.0.txt_attn.qkv.bias').map((o) => o.split(': ')[1])).toEqual([
        'transformer_blocks.0.attn.add_q_proj.bias',
        'transformer_blocks.0.attn.add_k_proj.bias',
        'transformer_blocks.0.attn.add_v_proj.bias',
      ]);
    });
  });

  it('checks that the diffusers file really is split and swapped (not a renamed copy)', async () => {
    const d = bflToDiffusersTransformer(tiny);
    const H = 96;
    const qkv = tiny.get('double_blocks.1.img_attn.qkv.weight')!;
    const toK = d.get('transformer_blocks.1.attn.to_k.weight')!;
    expect(toK.shape).toEqual([H, H]);
    expect([...toK.data]).toEqual([...qkv.data.slice(H * H, 2 * H * H)]);
    const ada = tiny.get('final_layer.adaLN_modulation.1.bias')!;
    const norm = d.get('norm_out.linear.bias')!;
    expect([...norm.data.slice(0, H)]).toEqual([...ada.data.slice(H, 2 * H)]); // diffusers: scale first
    const mlp = d.get('single_transformer_blocks.1.proj_mlp.weight')!;
    expect(mlp.shape).toEqual([384, H]); // linear1 rows 3H.. (mlp_ratio 4)
  });

  it('reads a sharded diffusers folder (index.json + 3 shards) from the root, component folder or index', async () => {
    const root = path.join(dir, 'diffusers-sharded');
    const comp = await writeDiffusersComponent(root, 'transformer', bflToDiffusersTransformer(t2i), 3);
    for (const p of [root, comp, path.join(comp, 'diffusion_pytorch_model.safetensors.index.json')]) {
      await withSource(p, 'transformer', async (s) => {
        expect(s.layout).toBe('diffusers folder, 3 shards, diffusers transformer names');
        await expectSame(s, t2i); // no qkv bias, mlp_ratio 2, no guidance embedding
      });
    }
  });

  it('reports a missing shard and an index that does not match its shards', async () => {
    const root = path.join(dir, 'diffusers-broken');
    const comp = await writeDiffusersComponent(root, 'transformer', bflToDiffusersTransformer(tiny), 2);
    const index = path.join(comp, 'diffusion_pytorch_model.safetensors.index.json');
    const j = JSON.parse(await readFile(index, 'utf8'));
    j.weight_map['transformer_blocks.0.attn.to_q.weight'] = 'diffusion_pytorch_model-00002-of-00002.safetensors';
    await writeFile(index, JSON.stringify(j));
    await expect(openCheckpoint(root, 'transformer')).rejects.toThrow(
      "lists 'transformer_blocks.0.attn.to_q.weight' in '" +
        path.join(comp, 'diffusion_pytorch_model-00002-of-00002.safetensors') +
        "', but that shard has no such tensor",
    );
    await unlink(path.join(comp, 'diffusion_pytorch_model-00002-of-00002.safetensors'));
    await expect(openCheckpoint(root, 'transformer')).rejects.toThrow(
      /shard '.*00002-of-00002.safetensors' listed in '.*index.json' is missing \(incomplete download\?\)/,
    );
  });

  it('reads a diffusers vae/ folder back to identical BFL autoencoder tensors', async () => {
    const d = bflToDiffusersVae(ae);
    expect(d.get('decoder.up_blocks.0.resnets.0.conv1.weight')).toBe(ae.get('decoder.up.3.block.0.conv1.weight'));
    expect(d.get('encoder.down_blocks.2.resnets.0.conv_shortcut.weight')).toBe(
      ae.get('encoder.down.2.block.0.nin_shortcut.weight'),
    );
    expect(d.get('decoder.mid_block.attentions.0.to_q.weight')!.shape).toEqual([64, 64]); // Linear in diffusers
    expect(d.has('encoder.conv_norm_out.weight') && d.has('decoder.mid_block.resnets.1.norm2.bias')).toBe(true);
    const root = path.join(dir, 'diffusers-vae');
    await writeDiffusersComponent(root, 'vae', d, 2);
    await withSource(root, 'ae', async (s) => {
      expect(s.layout).toBe('diffusers folder, 2 shards, diffusers autoencoder names');
      expect(s.shape('decoder.mid.attn_1.q.weight')).toEqual([64, 64, 1, 1]);
      await expectSame(s, ae);
    });
  });

  it('finds BFL files in a repository folder next to the diffusers folders', async () => {
    const root = path.join(dir, 'repo');
    await mkdir(root);
    await copyFile(fixture('flux-tiny.weights.safetensors'), path.join(root, 'flux1-kontext-dev.safetensors'));
    await copyFile(fixture('ae-tiny.weights.safetensors'), path.join(root, 'ae.safetensors'));
    await writeDiffusersComponent(root, 'transformer', bflToDiffusersTransformer(t2i)); // ignored: the BFL file wins
    await withSource(root, 'transformer', (s) => expectSame(s, tiny));
    await withSource(root, 'ae', (s) => expectSame(s, ae));
  });

  it('names what it expected when a folder holds no checkpoint, and a missing path', async () => {
    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    await writeFile(path.join(empty, 'README.md'), 'hi');
    await expect(openCheckpoint(empty, 'ae')).rejects.toThrow(
      `no autoencoder checkpoint in '${empty}': expected 'ae.safetensors' or a 'vae/' folder`,
    );
    await expect(openCheckpoint(path.join(dir, 'nope'), 'transformer')).rejects.toThrow(
      `checkpoint path '${path.join(dir, 'nope')}' does not exist`,
    );
  });

  it('reports a truncated file when it is opened', async () => {
    const bytes = await readFile(fixture('flux-tiny.weights.safetensors'));
    const p = path.join(dir, 'cut.safetensors');
    await writeFile(p, bytes.subarray(0, bytes.length - 1000));
    await expect(openCheckpoint(p, 'transformer')).rejects.toThrow(
      `safetensors file '${p}': the file is truncated: tensor 'final_layer.adaLN_modulation.1.weight'`,
    );
  });
});
