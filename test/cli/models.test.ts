// `kontext models`: the built-in models; a kontext-mini folder, BFL files and a diffusers folder described from
// their headers (layout, configuration, parameters by dtype, size, memory estimate); mistakes are exit 2.
import { readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedFluxKeys } from '../../src/checkpoint/flux-keys.ts';
import { bflToDiffusersTransformer, bflToDiffusersVae } from '../../src/checkpoint/diffusers.ts';
import { EMBEDDED_MODEL } from '../../src/mini/embedded.ts';
import { estimateTransformerMemory } from '../../src/pipeline/memory.ts';
import { loadMap, writeDiffusersComponent } from '../checkpoint/helpers.ts';
import { FIXTURES } from '../fixtures-path.ts';
import { CLIP_TINY, T5_TINY, tinyWeights, writeTinyTextEncoders } from '../prompt/encoder-fixtures.ts';
import { tempDir } from '../service/helpers.ts';
import { cli } from './helpers.ts';
import { joinRegExp } from '../regex.ts';

const json = async (...argv: string[]) => {
  const r = await cli('models', ...argv, '--json');
  expect(r.errors).toEqual([]);
  expect(r.code).toBe(0);
  return JSON.parse(r.logs.join('\n')).models;
};
const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

describe('kontext models', () => {
  it('with no path: every --model spec, kontext-mini with its folder, parameters and size', async () => {
    const models = await json();
    expect(models.map((m: { spec: string }) => m.spec)).toEqual(
      expect.arrayContaining(['mini', 'oracle', 'identity', 'noise']),
    );
    const mini = models.find((m: { spec: string }) => m.spec === 'mini');
    const files = ['transformer', 'text_encoder', 'ae'].map((f) => join(EMBEDDED_MODEL, `${f}.safetensors`));
    expect(mini).toMatchObject({ path: EMBEDDED_MODEL, bytes: files.reduce((n, f) => n + statSync(f).size, 0) });
    expect(models.find((m: { spec: string }) => m.spec === 'identity')).toEqual({
      spec: 'identity',
      help: 'returns the first input image unchanged (mid-gray for text-to-image)',
    });
    const text = await cli('models');
    expect(text.logs.join('\n')).toMatch(/^ {2}identity +returns the first input image unchanged/m);
  });

  it('kontext-mini: three parts with config.json, f16 weights, file sizes, and the memory of one edit', async () => {
    const [r] = await json('models/kontext-mini');
    const config = JSON.parse(readFileSync('models/kontext-mini/config.json', 'utf8'));
    expect(r.layout).toBe('kontext-mini');
    expect(r.components.map((c: { role: string }) => c.role)).toEqual(['transformer', 'text encoder', 'autoencoder']);
    expect(r.components[0].config).toEqual(config.transformer);
    expect(r.components[2].config).toEqual(config.ae);
    for (const c of r.components) {
      expect(Object.keys(c.dtypes)).toEqual(['float16']);
      expect(c.bytes).toBe(statSync(c.files[0].path).size);
    }
    // the transformer file holds exactly the parameters its configuration implies
    const shapes = expectedFluxKeys(config.transformer);
    expect(r.components[0].parameters).toBe([...shapes.values()].reduce((n, s) => n + count(s), 0));
    // the words it knows: its tokenizer's, punctuation aside
    const { words } = JSON.parse(readFileSync('models/kontext-mini/tokenizer.json', 'utf8'));
    const known = words.filter((w: string) => /^[a-z]+$/.test(w));
    expect(known).toContain('circle');
    expect(r.mini).toEqual({ resolution: 64, textLength: config.textLength, sampling: config.sampling, words: known });
    const text = (await cli('models', 'models/kontext-mini')).logs.join('\n');
    expect(text).toMatch(
      /^ {2}sampling +at 64×64, 8 steps, guidance 2; keeps the input outside the edit \(threshold 32\); a style reference's style read as its shapes are drawn \(else by the model's own loss\), then drawn as named; sampled again up to 2 times where the answer does not show the edit$/m,
    );
    expect(text).toMatch(
      /^ {2}reads +the words below as typed, in British spelling \(colour, grey, centre\), in the plural \(circles\) or/m,
    );
    expect(text).toMatch(new RegExp(`^ {2}words +${known.length} it knows: a add all `, 'm'));
    const listed = text
      .slice(text.indexOf(' it knows: ') + 11)
      .split(/\s+/)
      .filter(Boolean);
    expect(listed).toEqual(known);
    // named as --model names it: mini is the embedded folder
    expect((await cli('models', 'mini')).logs.join('\n')).toBe(text.replace('models/kontext-mini', EMBEDDED_MODEL));
    // 56 text tokens for an edit + 8×8 target tokens + 8×8 context tokens, through the loader's estimate
    expect(r.memory.tokens).toBe(56 + 64 + 64);
    const t = config.transformer;
    const est = estimateTransformerMemory(
      {
        shapes,
        hidden: t.hidden_size,
        heads: t.num_heads,
        mlpHidden: t.hidden_size * t.mlp_ratio,
        batch: 1,
        tokens: 184,
      },
      'f32',
    );
    expect(r.memory.bytes.f32).toBe(est.total);
    expect(r.memory.bytes.int4).toBeLessThan(r.memory.bytes.int8);
  });

  it('the reference fixtures folder: each file; BFL transformer and AE recognised, others named so', async () => {
    const models = await json(FIXTURES);
    const byName = (n: string) => models.find((m: { path: string }) => m.path === join(FIXTURES, n));
    const flux = byName('flux-tiny.weights.safetensors');
    const params = JSON.parse(readFileSync(join(FIXTURES, 'flux-tiny.json'), 'utf8')).params;
    expect(flux).toMatchObject({
      layout: 'BFL',
      components: [
        {
          role: 'transformer',
          storage: 'single file, BFL names',
          config: params,
          dtypes: { bfloat16: flux.parameters },
        },
      ],
    });
    expect(flux.parameters).toBe([...expectedFluxKeys(params).values()].reduce((n, s) => n + count(s), 0));
    expect(flux.memory.tokens).toBe(512 + 2 * 4096);
    expect(byName('flux-tiny-t2i-noguid.weights.safetensors').components[0].config).toMatchObject({
      guidance_embed: false,
      qkv_bias: false,
      mlp_ratio: 2,
    });
    expect(byName('ae-tiny.weights.safetensors')).toMatchObject({
      layout: 'BFL',
      memory: null,
      components: [
        { role: 'autoencoder', config: { ch: 32, ch_mult: [1, 1, 2, 2], num_res_blocks: 1, z_channels: 16 } },
      ],
    });
    expect(byName('noise.safetensors')).toMatchObject({
      layout: 'safetensors',
      components: [
        {
          role: 'tensors',
          note: 'not a FLUX transformer, autoencoder or text encoder (its keys and shapes match none)',
        },
      ],
    });

    const text = (await cli('models', join(FIXTURES, 'flux-tiny.weights.safetensors'))).logs.join('\n');
    expect(text).toContain('transformer   single file, BFL names: 1.06 M parameters in 84 tensors (bfloat16), 2.0 MiB');
    expect(text).toContain(
      'hidden 96, 2 heads, 2 double + 2 single blocks, mlp ×4, 64 latent channels, text 48, vec 32, guidance embedding',
    );
    expect(text).toMatch(
      joinRegExp(
        /memory +one 1024×1024 edit \(512 text tokens, one context image\), 8704 tokens: f32 [\d.]+ MiB, int8 [\d.]+ /,
        /MiB, int4 [\d.]+ MiB/,
      ),
    );
  });

  describe('a diffusers repository folder', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await tempDir('kontext-models-');
      await writeDiffusersComponent(
        dir,
        'transformer',
        bflToDiffusersTransformer(await loadMap(join(FIXTURES, 'flux-tiny.weights.safetensors'))),
        2,
      );
      await writeDiffusersComponent(
        dir,
        'vae',
        bflToDiffusersVae(await loadMap(join(FIXTURES, 'ae-tiny.weights.safetensors'))),
      );
      await writeTinyTextEncoders(dir); // text_encoder/, text_encoder_2/ (2 shards), tokenizer/, tokenizer_2/
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('is one model with both components, the same configuration and parameters as the BFL files', async () => {
      const [r] = await json(dir);
      const [bfl] = await json(join(FIXTURES, 'flux-tiny.weights.safetensors'));
      const [ae] = await json(join(FIXTURES, 'ae-tiny.weights.safetensors'));
      expect(r.layout).toBe('diffusers');
      expect(r.components.map((c: { role: string; encoder?: string }) => c.encoder ?? c.role)).toEqual([
        'transformer',
        'autoencoder',
        'CLIP',
        'T5',
      ]);
      expect(r.components[0].storage).toBe('diffusers folder, 2 shards, diffusers transformer names');
      expect(r.components[0].files).toHaveLength(2);
      expect(r.components[0].config).toEqual(bfl.components[0].config);
      expect(r.components[0].parameters).toBe(bfl.parameters);
      expect(r.components[1].parameters).toBe(ae.parameters);
      const [clip, t5] = r.components.slice(2);
      const { max_length: _, ...t5Model } = T5_TINY; // the tokenizer's length, not the encoder's configuration
      expect([clip.config, t5.config]).toMatchObject([CLIP_TINY, t5Model]);
      expect(t5.storage).toContain('2 shards');
      const tensors = async (kind: 'clip' | 't5') => [...(await tinyWeights(kind)).values()];
      expect(clip.parameters).toBe((await tensors('clip')).reduce((n, t) => n + count(t.shape), 0));
      expect(t5.parameters).toBe((await tensors('t5')).reduce((n, t) => n + count(t.shape), 0));
      expect(r.parameters).toBe(bfl.parameters + ae.parameters + clip.parameters + t5.parameters);
      // the transformer's estimate is the BFL file's; the encoders' is the loader's, smaller with T5 in int4
      expect(r.memory.bytes).toEqual(bfl.memory.bytes);
      expect(r.memory.textEncoders.int4).toBeLessThan(r.memory.textEncoders.f32);
      const text = (await cli('models', dir)).logs.join('\n');
      expect(text).toMatch(/text encoder +diffusers folder.*\n +CLIP text model: hidden \d+/);
      expect(text).toMatch(/T5 encoder: d_model 64, 2 blocks, 4 heads, d_ff 128/);
      expect(text).toMatch(/encoding one prompt: f32 [\d.]+ [KM]iB, int8 .*released before the transformer loads/);
    });

    it('a single CLIP or T5 file of another size is not taken for the full-size encoder', async () => {
      const [r] = await json(join(dir, 'text_encoder', 'model.safetensors'));
      expect(r).toMatchObject({ layout: 'safetensors', components: [{ role: 'tensors' }] });
    });
  });

  it('mistakes: one line, exit 2', async () => {
    const cases: [string[], string][] = [
      [['no/such/model'], 'kontext models: no/such/model does not exist; give a checkpoint file or a model folder'],
      [
        ['README.md'],
        'kontext models: README.md is not a .safetensors file (or a shard index .json); ' +
          'give a checkpoint or a model folder',
      ],
      [
        ['a', 'b'],
        "kontext models: unexpected argument 'b': give one checkpoint file or model folder (kontext models --help)",
      ],
      [['--bogus'], "kontext models: Unknown option '--bogus'; see 'kontext models --help'"],
    ];
    for (const [argv, message] of cases) {
      const r = await cli('models', ...argv);
      expect([r.code, r.errors]).toEqual([2, [message]]);
    }
    const help = await cli('models', '--help');
    expect(help.code).toBe(0);
    expect(help.logs.join('\n')).toMatch(/^usage: kontext models \[PATH\] \[--json\]/);
  });
});
