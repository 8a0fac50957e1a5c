// Load the autoencoder from `ae.safetensors` (BFL) or a diffusers `vae/` folder: infer, validate, load (f32).

import { expectedAEKeys, inferAEParams, type InferAEOptions } from '../checkpoint/ae-keys.ts';
import { openCheckpoint } from '../checkpoint/source.ts';
import { validateCheckpoint } from '../checkpoint/validate.ts';
import { loadParameters } from '../engine/index.ts';
import { AutoEncoder } from './model.ts';
import type { AutoEncoderParams } from './params.ts';

export interface LoadAEOptions extends InferAEOptions {
  params?: AutoEncoderParams;
}

export async function loadAutoEncoder(path: string, o: LoadAEOptions = {}): Promise<AutoEncoder> {
  const source = await openCheckpoint(path, 'ae');
  try {
    const params = o.params ?? inferAEParams(source.shapes(), o);
    validateCheckpoint(source, expectedAEKeys(params));
    const ae = new AutoEncoder(params);
    await loadParameters(ae, source);
    return ae;
  } finally {
    await source.close();
  }
}

/** Check an autoencoder checkpoint without loading it (headers only); returns its configuration. */
export async function inspectAutoEncoder(path: string, o: LoadAEOptions = {}): Promise<AutoEncoderParams> {
  const source = await openCheckpoint(path, 'ae');
  try {
    const params = o.params ?? inferAEParams(source.shapes(), o);
    validateCheckpoint(source, expectedAEKeys(params));
    return params;
  } finally {
    await source.close();
  }
}
