import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FLUX_AE, type AutoEncoderParams } from '../../src/autoencoder/params.ts';
import { expectedAEKeys, inferAEParams } from '../../src/checkpoint/ae-keys.ts';
import { defaultAxesDim, expectedFluxKeys, inferFluxParams, type KeyShapes } from '../../src/checkpoint/flux-keys.ts';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { FLUX_KONTEXT_DEV, type FluxParams } from '../../src/transformer/params.ts';
import { fixture } from '../io/fixtures.ts';

async function official(): Promise<{ flux: KeyShapes; ae: KeyShapes; fluxCount: number; aeCount: number }> {
  const j = JSON.parse(await readFile(fixture('official-shapes.json'), 'utf8'));
  return {
    flux: new Map(Object.entries(j['flux1-kontext-dev'])),
    ae: new Map(Object.entries(j.ae)),
    fluxCount: j['flux1-kontext-dev.parameter_count'],
    aeCount: j['ae.parameter_count'],
  };
}

async function fileShapes(name: string): Promise<KeyShapes> {
  const f = await SafetensorsFile.open(fixture(name));
  try {
    return new Map(f.keys().map((k) => [k, f.entry(k).shape]));
  } finally {
    await f.close();
  }
}

async function params<T>(json: string): Promise<T> {
  return JSON.parse(await readFile(fixture(json), 'utf8')).params as T;
}

const count = (m: KeyShapes) => [...m.values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
const entries = (m: KeyShapes) => [...m.entries()];

describe('expected key layouts', () => {
  it('FLUX_KONTEXT_DEV gives the 780 tensors of official-shapes.json, same shapes, same order', async () => {
    const o = await official();
    const keys = expectedFluxKeys(FLUX_KONTEXT_DEV);
    expect(keys.size).toBe(780);
    expect(entries(keys)).toEqual(entries(o.flux));
    expect(count(keys)).toBe(o.fluxCount); // 11,901,408,320
  });

  it('FLUX_AE gives the 244 tensors of official-shapes.json, same shapes, same order', async () => {
    const o = await official();
    const keys = expectedAEKeys(FLUX_AE);
    expect(keys.size).toBe(244);
    expect(entries(keys)).toEqual(entries(o.ae));
    expect(count(keys)).toBe(o.aeCount); // 83,819,683
  });

  it('flux-schnell (no guidance embedding) has 776 tensors', () => {
    expect(expectedFluxKeys({ ...FLUX_KONTEXT_DEV, guidance_embed: false }).size).toBe(776);
  });

  for (const [json, weights] of [
    ['flux-tiny.json', 'flux-tiny.weights.safetensors'],
    ['flux-tiny-t2i-noguid.json', 'flux-tiny-t2i-noguid.weights.safetensors'],
  ]) {
    it(`${json} gives exactly the keys and shapes of ${weights}`, async () => {
      const keys = expectedFluxKeys(await params<FluxParams>(json));
      expect(entries(keys)).toEqual(entries(await fileShapes(weights)));
    });
  }

  it('ae-tiny.json gives exactly the keys and shapes of ae-tiny.weights.safetensors', async () => {
    const keys = expectedAEKeys(await params<AutoEncoderParams>('ae-tiny.json'));
    expect(entries(keys)).toEqual(entries(await fileShapes('ae-tiny.weights.safetensors')));
  });
});

describe('configuration inference from keys and shapes', () => {
  it('recovers FLUX_KONTEXT_DEV from the official shapes', async () => {
    expect(inferFluxParams((await official()).flux)).toEqual(FLUX_KONTEXT_DEV);
  });

  it('recovers both tiny transformer configs (the default RoPE split gives their [8, 20, 20])', async () => {
    for (const [json, weights] of [
      ['flux-tiny.json', 'flux-tiny.weights.safetensors'],
      ['flux-tiny-t2i-noguid.json', 'flux-tiny-t2i-noguid.weights.safetensors'],
    ]) {
      expect(inferFluxParams(await fileShapes(weights)), json).toEqual(await params<FluxParams>(json));
    }
  });

  it('takes axes_dim and theta from the caller', async () => {
    const p = inferFluxParams(await fileShapes('flux-tiny.weights.safetensors'), {
      axes_dim: [16, 16, 16],
      theta: 500,
    });
    expect(p.axes_dim).toEqual([16, 16, 16]);
    expect(p.theta).toBe(500);
  });

  it('defaultAxesDim: [16, 56, 56] for 128, [8, 20, 20] for 48, refuses odd splits', () => {
    expect(defaultAxesDim(128)).toEqual([16, 56, 56]);
    expect(defaultAxesDim(48)).toEqual([8, 20, 20]);
    expect(defaultAxesDim(64)).toEqual([8, 28, 28]);
    expect(() => defaultAxesDim(42)).toThrow(
      'cannot choose a RoPE split (axes_dim) for head dim 42; pass axes_dim explicitly',
    );
  });

  it('recovers FLUX_AE and the tiny AE config', async () => {
    expect(inferAEParams((await official()).ae)).toEqual(FLUX_AE);
    const tiny = await params<AutoEncoderParams>('ae-tiny.json');
    expect(inferAEParams(await fileShapes('ae-tiny.weights.safetensors'), { resolution: tiny.resolution })).toEqual(
      tiny,
    );
  });

  it('explains when a file is not the kind asked for', async () => {
    const ae = await fileShapes('ae-tiny.weights.safetensors');
    expect(() => inferFluxParams(ae)).toThrow("the checkpoint has no 'img_in.weight' (is it a Flux transformer?)");
    const tf = await fileShapes('flux-tiny.weights.safetensors');
    expect(() => inferAEParams(tf)).toThrow("no 4-d 'encoder.conv_in.weight' (is it an autoencoder?)");
  });
});
