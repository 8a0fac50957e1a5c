import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AutoEncoderParams } from '../../src/autoencoder/params.ts';
import { FLUX_AE } from '../../src/autoencoder/params.ts';
import { expectedAEKeys } from '../../src/checkpoint/ae-keys.ts';
import { bflToDiffusersTransformer } from '../../src/checkpoint/diffusers.ts';
import { expectedFluxKeys, type KeyShapes } from '../../src/checkpoint/flux-keys.ts';
import { openCheckpoint } from '../../src/checkpoint/source.ts';
import { diffCheckpoint, validateCheckpoint } from '../../src/checkpoint/validate.ts';
import { UserError } from '../../src/errors.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';
import { FLUX_KONTEXT_DEV, type FluxParams } from '../../src/transformer/params.ts';
import { fixture } from '../io/fixtures.ts';
import { loadMap, writeDiffusersComponent } from './helpers.ts';

let dir: string;
let tinyParams: FluxParams;
let t2iParams: FluxParams;
let aeParams: AutoEncoderParams;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kontext-validate-'));
  const params = async (f: string) => JSON.parse(await readFile(fixture(f), 'utf8')).params;
  tinyParams = await params('flux-tiny.json');
  t2iParams = await params('flux-tiny-t2i-noguid.json');
  aeParams = await params('ae-tiny.json');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The UserError message validateCheckpoint throws for the checkpoint at `p` against `expected`. */
async function failure(p: string, which: 'transformer' | 'ae', expected: KeyShapes): Promise<string> {
  const s = await openCheckpoint(p, which);
  try {
    validateCheckpoint(s, expected);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  } finally {
    await s.close();
  }
  throw new Error('validateCheckpoint did not throw');
}

const inMemory = (shapes: KeyShapes) => ({ path: 'model.safetensors', shapes: () => shapes });
function messageFor(actual: KeyShapes, expected: KeyShapes): string {
  try {
    validateCheckpoint(inMemory(actual), expected);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('validateCheckpoint did not throw');
}

describe('validateCheckpoint', () => {
  it('accepts matching checkpoints in BFL and diffusers layouts', async () => {
    for (const [file, which, expected] of [
      ['flux-tiny.weights.safetensors', 'transformer', () => expectedFluxKeys(tinyParams)],
      ['flux-tiny-t2i-noguid.weights.safetensors', 'transformer', () => expectedFluxKeys(t2iParams)],
      ['ae-tiny.weights.safetensors', 'ae', () => expectedAEKeys(aeParams)],
    ] as const) {
      const s = await openCheckpoint(fixture(file), which);
      expect(() => validateCheckpoint(s, expected())).not.toThrow();
      await s.close();
    }
    const root = path.join(dir, 'diffusers');
    await writeDiffusersComponent(
      root,
      'transformer',
      bflToDiffusersTransformer(await loadMap(fixture('flux-tiny.weights.safetensors'))),
    );
    const s = await openCheckpoint(root, 'transformer');
    expect(() => validateCheckpoint(s, expectedFluxKeys(tinyParams))).not.toThrow();
    await s.close();
  });

  it('recognises a schnell-like checkpoint (no guidance_in)', async () => {
    const msg = await failure(
      fixture('flux-tiny-t2i-noguid.weights.safetensors'),
      'transformer',
      expectedFluxKeys({ ...t2iParams, guidance_embed: true }),
    );
    expect(msg).toContain(
      "checkpoint '" +
        fixture('flux-tiny-t2i-noguid.weights.safetensors') +
        "' (single file, BFL names) does not match the expected transformer (80 tensors; the checkpoint has 76)",
    );
    expect(msg).toContain(
      'likely cause: this looks like a flux-schnell checkpoint (no guidance_in): ' +
        'FLUX.1 Kontext [dev] needs the guidance embedding',
    );
    expect(msg).toContain(
      'missing 4: guidance_in.in_layer.weight, guidance_in.in_layer.bias, guidance_in.out_layer.weight, ' +
        'guidance_in.out_layer.bias',
    );
    expect(msg).not.toContain('unexpected');
  });

  it('says when the checkpoint has a guidance embedding the config does not expect', async () => {
    const msg = await failure(
      fixture('flux-tiny.weights.safetensors'),
      'transformer',
      expectedFluxKeys({ ...tinyParams, guidance_embed: false }),
    );
    expect(msg).toContain(
      'likely cause: the checkpoint has a guidance embedding (guidance_in, as flux-dev and Kontext) ' +
        'but the configuration has guidance_embed = false',
    );
    expect(msg).toContain('unexpected 4: guidance_in.');
  });

  it('says an autoencoder is not a transformer, and the other way round', async () => {
    const a = await failure(fixture('ae-tiny.weights.safetensors'), 'transformer', expectedFluxKeys(tinyParams));
    expect(a).toContain('likely cause: this is an autoencoder file, not a transformer');
    const b = await failure(fixture('flux-tiny.weights.safetensors'), 'ae', expectedAEKeys(aeParams));
    expect(b).toContain('does not match the expected autoencoder');
    expect(b).toContain('likely cause: this is a transformer file, not an autoencoder');
  });

  it('explains a different model size and cuts long lists with counts', async () => {
    const msg = await failure(
      fixture('flux-tiny.weights.safetensors'),
      'transformer',
      expectedFluxKeys(FLUX_KONTEXT_DEV),
    );
    expect(msg).toContain(
      'likely cause: the checkpoint has 2 double and 2 single blocks, the configuration expects 19 and 38',
    );
    expect(msg).toContain("likely cause: the checkpoint's hidden size is 96, the configuration's 3072");
    expect(msg).toMatch(/missing 696: double_blocks\.2\.img_mod\.lin\.weight, .*, … and 688 more/);
    // (final_layer.linear.bias [64] matches)
    expect(msg).toMatch(/wrong shape 83: img_in\.weight is \[96, 64\], expected \[3072, 64\], .*, … and 78 more/);
  });

  it('reports a file that stops early (tail tensors missing)', async () => {
    const all = await loadMap(fixture('flux-tiny.weights.safetensors'));
    const keys = [...all.keys()];
    const p = path.join(dir, 'partial.safetensors');
    await writeSafetensors(p, new Map(keys.slice(0, -3).map((k) => [k, all.get(k)!])));
    const msg = await failure(p, 'transformer', expectedFluxKeys(tinyParams));
    expect(msg).toContain(
      "likely cause: the checkpoint stops after 'final_layer.linear.weight': " +
        'its last 3 tensors are missing (the file is truncated or was written partially)',
    );
  });

  it('recognises Canny/Fill input channels, q/k/v bias differences, LoRAs, quantized files, unknown prefixes', () => {
    const kontext = expectedFluxKeys(FLUX_KONTEXT_DEV);
    expect(messageFor(expectedFluxKeys({ ...FLUX_KONTEXT_DEV, in_channels: 128 }), kontext)).toContain(
      "likely cause: the checkpoint's img_in takes 128 input channels (as FLUX.1 Canny/Depth, " +
        'which take a control image), the configuration 64',
    );
    expect(messageFor(expectedFluxKeys({ ...FLUX_KONTEXT_DEV, qkv_bias: false }), kontext)).toContain(
      'likely cause: the checkpoint has no q/k/v biases but the configuration has qkv_bias = true',
    );
    const lora: KeyShapes = new Map([['double_blocks.0.img_attn.qkv.lora_A.weight', [16, 3072]]]);
    expect(messageFor(lora, kontext)).toContain(
      "likely cause: this is a LoRA file (keys like 'double_blocks.0.img_attn.qkv.lora_A.weight'), " +
        'not a full checkpoint',
    );
    const quant = new Map([...kontext, ['img_in.weight_scale', [1]]]);
    expect(messageFor(quant, kontext)).toContain(
      "likely cause: this looks like a quantized checkpoint (keys like 'img_in.weight_scale')",
    );
    const prefixed: KeyShapes = new Map([...kontext].map(([k, s]) => [`diffusion_model.${k}`, s]));
    expect(messageFor(prefixed, kontext)).toContain(
      "likely cause: the checkpoint's keys carry the prefix 'diffusion_model.' (780 keys); strip it",
    );
    const sdVae = expectedAEKeys({ ...FLUX_AE, z_channels: 4 });
    expect(messageFor(sdVae, expectedAEKeys(FLUX_AE))).toContain(
      'likely cause: this looks like a Stable Diffusion VAE (4 latent channels)',
    );
  });

  it('diffCheckpoint lists missing, unexpected and wrong-shape keys', () => {
    const d = diffCheckpoint(
      new Map([
        ['a', [1]],
        ['b', [2, 3]],
        ['x', [1]],
      ]),
      new Map([
        ['a', [1]],
        ['b', [3, 2]],
        ['c', [4]],
      ]),
    );
    expect(d).toEqual({
      missing: ['c'],
      unexpected: ['x'],
      wrongShape: [{ key: 'b', expected: [3, 2], actual: [2, 3] }],
    });
  });
});
