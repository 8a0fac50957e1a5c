// The shipped model (models/kontext-mini): present, within the size budget, f16, loadable, and it answers an edit
// of the example image with an image of the input's size that keeps the input's background.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RGBImage, readImage } from '../../src/image/rgb.ts';
import { SafetensorsFile } from '../../src/io/safetensors.ts';
import { textLengthFor } from '../../src/mini/config.ts';
import { MiniEditor } from '../../src/mini/editor.ts';
import { EMBEDDED_MODEL } from '../../src/mini/embedded.ts';
import { encodeImages } from '../../src/mini/latents.ts';
import { scoreCandidates } from '../../src/mini/rerank.ts';
import { makeSample } from '../../src/world/dataset.ts';

describe('the embedded model', () => {
  it('ships every file, in float16, within 40 MB', async () => {
    const files = readdirSync(EMBEDDED_MODEL).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'ae.safetensors',
        'config.json',
        'text_encoder.safetensors',
        'tokenizer.json',
        'transformer.safetensors',
      ]),
    );
    const total = files.reduce((s, f) => s + statSync(join(EMBEDDED_MODEL, f)).size, 0);
    expect(total).toBeLessThan(40e6);
    for (const f of files.filter((x) => x.endsWith('.safetensors'))) {
      const st = await SafetensorsFile.open(join(EMBEDDED_MODEL, f));
      try {
        expect(new Set(st.keys().map((k) => st.entry(k).dtype)), f).toEqual(new Set(['float16']));
      } finally {
        await st.close();
      }
    }
  });

  it('edits the example image: same size, background kept', async () => {
    const ed = await MiniEditor.load();
    const input = await readImage(join(EMBEDDED_MODEL, '../../examples/scene.png'));
    const { image } = await ed.edit({ prompt: 'make the blue circle red', image: input, seed: 0 });
    expect([image.width, image.height]).toEqual([input.width, input.height]);
    // the top rows of the example are background only: the answer's must match them closely
    let err = 0;
    for (let i = 0; i < input.width * 4 * 3; i++) err += Math.abs(image.data[i]! - input.data[i]!);
    expect(err / (input.width * 4 * 3)).toBeLessThan(12);
  });

  it('keeps the example’s own pixels outside the edit (its config sets preserve); --no-preserve does not', async () => {
    const ed = await MiniEditor.load();
    expect(ed.pipe.model.config.sampling.preserve).toEqual({ threshold: 32, grow: 1, colorMap: 0.9 });
    const input = await readImage(join(EMBEDDED_MODEL, '../../examples/scene.png'));
    const exact = (img: RGBImage) => {
      let n = 0;
      for (let p = 0; p < img.width * img.height; p++)
        if ([0, 1, 2].every((c) => img.data[p * 3 + c] === input.data[p * 3 + c])) n++;
      return n / (img.width * img.height);
    };
    const req = { prompt: 'make the blue circle red', image: input, seed: 0 };
    const kept = exact((await ed.edit(req)).image);
    const raw = exact((await ed.edit({ ...req, preserve: false })).image);
    expect(kept).toBeGreaterThan(0.5); // most of the scene is untouched by this edit
    expect(raw).toBeLessThan(0.2); // the transformer's own pixels: through the autoencoder, rarely exact
  });

  it('answers night and grey through one colour map of the input (colormap.ts); its own pixels do not', async () => {
    const ed = await MiniEditor.load();
    const input = await readImage(join(EMBEDDED_MODEL, '../../examples/scene.png'));
    // the share of pixels whose answer is the commonest answer among the pixels of the same input colour: 1 when
    // the answer is a function of the input's colour (a colour map), lower where the model redrew the shapes
    const mapped = (out: RGBImage) => {
      const groups = new Map<number, Map<number, number>>();
      for (let i = 0; i < input.data.length; i += 3) {
        const key = (input.data[i] << 16) | (input.data[i + 1] << 8) | input.data[i + 2];
        const val = (out.data[i] << 16) | (out.data[i + 1] << 8) | out.data[i + 2];
        const g = groups.get(key) ?? new Map<number, number>();
        g.set(val, (g.get(val) ?? 0) + 1);
        groups.set(key, g);
      }
      let n = 0;
      for (const g of groups.values()) n += Math.max(...g.values());
      return n / (input.width * input.height);
    };
    for (const prompt of ['make the image grayscale', 'show this scene at night']) {
      const req = { prompt, image: input, seed: 0 };
      const kept = mapped((await ed.edit(req)).image);
      const raw = mapped((await ed.edit({ ...req, preserve: false })).image);
      expect(kept, prompt).toBeGreaterThan(0.9);
      expect(raw, prompt).toBeLessThan(kept - 0.2);
    }
    // a tone edit is a colour map everywhere (src/world/tone-edits.ts): every pixel of one input colour answers alike;
    // grey answers are grey; the instruction is read as the tokenizer reads it, typos too
    const grey = (await ed.edit({ prompt: 'Make teh image grayscale', image: input, seed: 0 })).image;
    expect(mapped(grey)).toBe(1);
    for (let i = 0; i < grey.data.length; i += 3)
      expect(grey.data[i] === grey.data[i + 1] && grey.data[i] === grey.data[i + 2]).toBe(true);
    expect(mapped((await ed.edit({ prompt: 'show this scene at nigth', image: input, seed: 0 })).image)).toBe(1);
  });

  it('recolours the word when its label is typed without quotes or in lower case (the tokenizer reads it as the label), not another object', async () => {
    const ed = await MiniEditor.load();
    const input = await readImage(join(EMBEDDED_MODEL, '../../examples/scene.png'));
    const W = input.width;
    const at = (img: RGBImage, x: number, y: number) => [0, 1, 2].map((c) => img.data[(y * W + x) * 3 + c]!);
    const bg = at(input, 1, 1);
    // the example's ink (anything unlike the background) in the word's corner (top left) and the circle's (bottom left)
    const ink = (x0: number, y0: number, x1: number, y1: number) => {
      const out: [number, number][] = [];
      for (let y = y0; y < y1; y++)
        for (let x = x0; x < x1; x++) if (at(input, x, y).some((v, c) => Math.abs(v - bg[c]!) > 40)) out.push([x, y]);
      return out;
    };
    const word = ink(0, 0, 36, 26);
    const circle = ink(0, 36, 26, 64);
    const red = (img: RGBImage, pts: [number, number][]) =>
      pts.filter(([x, y]) => {
        const [r, g, b] = at(img, x, y);
        return r! > 150 && g! < 110 && b! < 110;
      }).length / pts.length;
    expect(red(input, word)).toBe(0);
    for (const prompt of [
      'make the word FLUX red',
      'make the word "FLUX" red',
      'make the word flux red',
      'Please make the word "flux" red, thank you.',
    ]) {
      const { image } = await ed.edit({ prompt, image: input, seed: 0 });
      expect(red(image, word), prompt).toBeGreaterThan(0.9);
      expect(red(image, circle), prompt).toBeLessThan(0.05);
    }
  });

  it("scores the world's true answer as more likely than another scene's (rerank.ts's score)", async () => {
    const ed = await MiniEditor.load();
    const p = ed.pipe;
    const T = textLengthFor(p.model.config, 1);
    const families = ['local', 'global', 'text'] as const;
    for (let i = 0; i < 6; i++) {
      const s = makeSample({ split: 'val', seed: 7, families }, i);
      const other = makeSample({ split: 'val', seed: 8, families }, i);
      const [ctx, target, wrong] = await encodeImages(p.ae, [s.inputs[0]!, s.target, other.target]);
      const request = { ids: p.tokenizer.encode(s.instruction, T).ids, context: [ctx!], noise: ctx! };
      const [a, b] = await scoreCandidates(
        p.model,
        [target!, wrong!].map((tokens) => ({ request, tokens, scoreSeed: i })),
      );
      expect(a, s.instruction).toBeLessThan(b! / 2);
    }
  });
});
