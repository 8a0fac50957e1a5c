// Training configs with `extends` (src/train/config.ts): a config gives only what differs from its base; the
// resolved config is what a run stores and compares on resume.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeConfig, readConfig } from '../../src/train/config.ts';

let dir: string;
const at = (n: string) => join(dir, n);
const put = (n: string, v: unknown) => writeFile(at(n), typeof v === 'string' ? v : JSON.stringify(v));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-config-'));
  await put('base.json', { kind: 'flow', lr: 1, mix: { a: 1, b: 2 }, loss: { changed: 4 }, list: [1, 2] });
  await put('child.json', { extends: 'base.json', lr: 2, mix: { b: 3 }, loss: null, list: [5] });
  await put('grandchild.json', { extends: './child.json', steps: 7 });
  await put('loop-a.json', { extends: 'loop-b.json' });
  await put('loop-b.json', { extends: 'loop-a.json' });
  await put('orphan.json', { extends: 'gone.json' });
  await put('bad-extends.json', { extends: 3 });
  await put('array.json', '[1, 2]');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('training configs: extends', () => {
  it('objects merge key by key, null removes, other values replace, the base key order is kept', () => {
    const c = readConfig(at('grandchild.json'));
    expect(c).toEqual({ kind: 'flow', lr: 2, mix: { a: 1, b: 3 }, list: [5], steps: 7 });
    expect(Object.keys(c)).toEqual(['kind', 'lr', 'mix', 'list', 'steps']);
    expect(mergeConfig({ a: { x: 1 } }, { a: 5 })).toEqual({ a: 5 });
    expect(mergeConfig({ a: 5 }, { a: { x: 1 } })).toEqual({ a: { x: 1 } });
  });

  it('refuses cycles, missing bases, a non-string extends and a non-object file, naming the file', () => {
    expect(() => readConfig(at('loop-a.json'))).toThrow(
      /loop-a\.json extends itself \(through .*loop-a\.json -> .*loop-b\.json\); remove the cycle/,
    );
    expect(() => readConfig(at('orphan.json'))).toThrow(
      /config file .*gone\.json does not exist \(extended by .*orphan\.json\)/,
    );
    expect(() => readConfig(at('bad-extends.json'))).toThrow(
      /'extends' in .*bad-extends\.json must be a file name .*got 3/,
    );
    expect(() => readConfig(at('array.json'))).toThrow(/array\.json must hold a JSON object/);
    expect(() => readConfig(at('none.json'))).toThrow(
      /none\.json does not exist \(the shipped ones are in configs\/\)/,
    );
  });

  it('every shipped config resolves to a kind with its steps and lr; the fine-tunes differ from their base only where they say', async () => {
    for (const f of (await readdir('configs')).filter((f) => f.endsWith('.json'))) {
      const c = readConfig(join('configs', f));
      expect(['ae', 'flow'], f).toContain(c.kind);
      expect(c, f).not.toHaveProperty('extends');
      expect(typeof c.steps, f).toBe('number');
      expect(typeof c.lr, f).toBe('number');
    }
    const base = readConfig('configs/flow-mini16.json');
    const changed = readConfig('configs/flow-mini16-changed.json');
    const plain = readConfig('configs/flow-mini16-plain.json');
    expect(changed.loss).toEqual({ changed: 4 });
    expect(plain).not.toHaveProperty('loss');
    expect({ ...plain, initFrom: 0, steps: 0, lr: 0 }).toEqual({ ...base, initFrom: 0, steps: 0, lr: 0 });
  });

  it('the width study: each measuring config has the architecture of its run, logs every batch and leaves the weights alone', () => {
    for (const h of [64, 128, 192, 256]) {
      const run = readConfig(`configs/flow-scratch-h${h}.json`);
      const ev = readConfig(`configs/flow-scratch-eval-h${h}.json`);
      expect(run).not.toHaveProperty('initFrom');
      expect(run.transformer).toMatchObject({ hidden_size: h, num_heads: h / 64 });
      expect(ev.transformer).toEqual(run.transformer);
      expect(ev.text).toEqual(run.text);
      expect(ev).toMatchObject({ initFrom: `runs/scale-h${h}/model`, logEvery: 1, validateEvery: 0 });
      expect(ev.lr as number).toBeLessThan(1e-9);
      expect(ev.seed).not.toBe(run.seed); // batches no run trained on
    }
  });
});
