// FluxTextEncoder: tokenizers → CLIP (vec) and T5 (txt) from a diffusers folder, loaded on the first encode, the
// embedding cache keyed by prompt and encoder identity, and release (sessions, weights, spilled files).
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, loadParameters, spillDir } from '../../src/engine/index.ts';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { checkClipConfig, ClipTextModel, clipTextGraph } from '../../src/prompt/clip.ts';
import { loadClipTokenizer } from '../../src/prompt/clip-tokenizer.ts';
import { EmbeddingCache } from '../../src/prompt/embedding-cache.ts';
import { FluxTextEncoder } from '../../src/prompt/flux-text-encoder.ts';
import { loadT5Tokenizer } from '../../src/prompt/t5-tokenizer.ts';
import { checkT5Config, T5EncoderModel, t5EncoderGraph } from '../../src/prompt/t5.ts';
import { TEXT_FIXTURES } from '../fixtures-path.ts';
import { CLIP_TINY, T5_TINY, writeTinyTextEncoders } from './encoder-fixtures.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-flux-text-'));
  await writeTinyTextEncoders(root);
});
afterAll(() =>
  Promise.all([rm(root, { recursive: true, force: true }), rm(spillDir(), { recursive: true, force: true })]),
);

const paths = () => ({ clip: root, t5: root, tokenizers: root });
const PROMPT = 'make the cup red';

/** The reference: the fixture weights loaded directly, the tokenizers' ids, the verified graphs. */
async function reference(prompt: string): Promise<{ txt: Float32Array; vec: Float32Array; t5Ids: number[] }> {
  const clip = new ClipTextModel(checkClipConfig(CLIP_TINY));
  const t5 = new T5EncoderModel(checkT5Config(T5_TINY));
  for (const [m, f] of [
    [clip, 'clip'],
    [t5, 't5'],
  ] as const) {
    const w = await SafetensorsFile.open(join(TEXT_FIXTURES, `${f}-tiny.weights.safetensors`));
    await loadParameters(m, w);
    await w.close();
  }
  const clipIds = loadClipTokenizer(root).encodeBatch([prompt]);
  const t5Tok = loadT5Tokenizer(root);
  const vec = (await (await compile(clipTextGraph(clip, 1, 77), { noCache: true })).run({ input_ids: clipIds }))
    .pooler_output.data as Float32Array;
  const txt = (
    await (await compile(t5EncoderGraph(t5, 1, 512), { noCache: true })).run({ input_ids: t5Tok.encodeBatch([prompt]) })
  ).last_hidden_state.data as Float32Array;
  return { txt, vec, t5Ids: t5Tok.encode(prompt).ids };
}

describe('FluxTextEncoder', () => {
  it('encodes a prompt exactly as the verified encoders do, loading the weights on the first encode', async () => {
    const enc = await FluxTextEncoder.open(paths(), { cache: new EmbeddingCache() });
    expect([enc.contextDim, enc.vecDim, enc.loaded]).toEqual([64, 64, false]); // open reads headers only
    const e = await enc.encode(PROMPT);
    expect(enc.loaded).toBe(true);
    const ref = await reference(PROMPT);
    expect(ref.t5Ids.slice(0, 6)).toEqual([4, 5, 6, 7, 1, 0]); // ▁make ▁the ▁cup ▁red </s> <pad>
    expect(e.tokens).toBe(512);
    expect(e.txt.length).toBe(512 * 64);
    expect(e.txt).toEqual(ref.txt);
    expect(e.vec).toEqual(ref.vec);
    await enc.release();
  });

  it('caches by prompt and encoder identity: the same files share entries, another format does not', async () => {
    const cache = new EmbeddingCache();
    const a = await FluxTextEncoder.open(paths(), { cache });
    const first = await a.encode(PROMPT);
    expect(await a.encode(PROMPT)).toBe(first);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
    await a.release();

    const b = await FluxTextEncoder.open(paths(), { cache }); // another instance over the same files
    expect(b.id).toBe(a.id);
    expect(b.cached(PROMPT)).toBe(true);
    expect(await b.encode(PROMPT)).toBe(first);
    expect(b.loaded).toBe(false); // answered from the cache: no weights read
    expect(b.cached('make it blue')).toBe(false);

    const c = await FluxTextEncoder.open(paths(), { cache, weights: 'int8' });
    expect(c.id).not.toBe(a.id);
    expect(c.cached(PROMPT)).toBe(false);
  });

  it('release closes the sessions, drops the weights, deletes spilled files; a later encode loads again', async () => {
    // parameter files are p<id>v<version>[.part].bin (graph constants, c<id>.bin, go with the folder at exit)
    const bins = () => readdirSync(spillDir()).filter((f) => /^p\d+v\d+.*\.bin$/.test(f)).length;
    const before = bins();
    const cache = new EmbeddingCache();
    const enc = await FluxTextEncoder.open(paths(), { cache, weights: 'int8' });
    const e1 = await enc.encode(PROMPT);
    expect(bins()).toBeGreaterThan(before); // int8 T5 weights are spilled to files ORT maps
    await enc.release();
    expect(enc.loaded).toBe(false);
    expect(bins()).toBe(before);
    const params = [...enc.clip.model.parameters(), ...enc.t5.model.parameters()];
    expect(params.every((p) => p.value === null && p.quant === null)).toBe(true);
    cache.clear();
    const e2 = await enc.encode(PROMPT); // not cached: loads the weights again
    expect(enc.loaded).toBe(true);
    expect(e2).not.toBe(e1);
    expect(e2.txt).toEqual(e1.txt);
    await enc.release();
  });

  it('names a missing tokenizer folder in one line', async () => {
    const err = await FluxTextEncoder.open({ ...paths(), tokenizers: join(root, 'text_encoder') }).catch(
      (e: Error) => e.message,
    );
    expect(err).toBe(
      `'${join(root, 'text_encoder')}' has no vocab.json: a CLIP tokenizer folder holds vocab.json and merges.txt ` +
        `(the tokenizer/ folder of a FLUX checkpoint)`,
    );
  });
});
