import { describe, expect, it } from 'vitest';
import { createImage } from '../../src/image/rgb.ts';
import { knownModels, registerModel, resolveModel } from '../../src/bench/model.ts';

const ctx = { groundTruth: () => createImage(4, 4, [1, 2, 3]) };
const req = { prompt: 'x', images: [createImage(4, 4, [9, 9, 9])], width: 4, height: 4, seed: 7 };

describe('model registry', () => {
  it('has the baselines, seeded noise and an oracle fed through the context', async () => {
    expect(knownModels().map((m) => m.prefix)).toEqual(expect.arrayContaining(['oracle', 'identity', 'noise']));
    expect(Array.from((await (await resolveModel('oracle', ctx)).edit(req)).data.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from((await (await resolveModel('identity', ctx)).edit(req)).data.subarray(0, 3))).toEqual([9, 9, 9]);
    const blank = await (await resolveModel('identity', ctx)).edit({ ...req, images: [] });
    expect([blank.width, blank.height]).toEqual([4, 4]);
    const noise = await resolveModel('noise', ctx);
    expect((await noise.edit(req)).data).toEqual((await noise.edit(req)).data);
    expect((await noise.edit(req)).data).not.toEqual((await noise.edit({ ...req, seed: 8 })).data);
  });

  it('plugs in new models as prefix:arg and names the known ones for an unknown spec', async () => {
    registerModel('constant', (arg) => ({
      name: `constant:${arg}`,
      edit: async (r) => createImage(r.width, r.height, [Number(arg), 0, 0]),
    }));
    const m = await resolveModel('constant:200', ctx);
    expect(m.name).toBe('constant:200');
    expect((await m.edit(req)).data[0]).toBe(200);
    await expect(resolveModel('kontext:/nowhere', ctx)).rejects.toThrow(
      /unknown model 'kontext:\/nowhere'; known models: .*\boracle\b.*\bidentity\b/,
    );
    expect(() => registerModel('Bad Name', () => m)).toThrow(/lower-case/);
  });
});
