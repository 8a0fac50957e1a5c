// Limits of the embedded model, and what its editor reaches past one, measured as the model card's "Known limits"
// and the README quote them (not a test: the numbers are the model's, and a model trained otherwise gives others).
//
//   node --import tsx scripts/mini-limits.ts grey [N] [--model DIR]       edits of a greyed picture, against colour
//   node --import tsx scripts/mini-limits.ts gradient [--model DIR]       a gradient's order, drawn and edited
//   node --import tsx scripts/mini-limits.ts unnamed [SEED] [--model DIR] captions with no background, on white
//
// grey: the first N (default 80) local and text edits of the test split (generation seed 11), each made on the
// picture in colour and on the picture greyed as the world greys it (the scene's `grayscale`), shipped defaults, seed
// hashSeed(0, 'g' + i), judged by the benchmark's `judge` against the target in the same look; and the grey picture
// edited with its colour known (the editor's `color`, as a session gives it after a turn greyed the picture).
// gradient: 18 ordered pairs of the world's background colours, "… a gradient from A at the top to B at the bottom",
// at seeds 0–3; drawn from words (`generate`, a small red circle in the centre) and as the raw answer (no output step,
// no retries) to a background change of a picture with a solid ground; the ground read from the side columns by the
// benchmark's readBackground: the right way up, upside down, or another background.
// unnamed: the 60 text-to-image captions of the test split (generation seed 11) without the creature, their ground
// taken out ("… on a peach background"), drawn at seed hashSeed(SEED, 'u' + i) in parts (on white: caption-parts.ts)
// and in one pass, each judged by `judge` as the world's scene on a white ground.

import { judge } from '../src/bench/analyze.ts';
import { readBackground } from '../src/bench/read.ts';
import { hashSeed } from '../src/engine/random.ts';
import type { RGBImage } from '../src/image/rgb.ts';
import { MiniEditor } from '../src/mini/editor.ts';
import { streamSamples } from '../src/world/dataset.ts';
import { BACKGROUND_WORDS } from '../src/world/palette.ts';
import { render } from '../src/world/render.ts';
import type { Scene } from '../src/world/scene.ts';

const args = process.argv.slice(2);
const modelAt = args.indexOf('--model');
const ed = await MiniEditor.load(modelAt >= 0 ? args[modelAt + 1] : undefined);
const [what, n] = args.filter((a, i) => !a.startsWith('--') && (modelAt < 0 || i !== modelAt + 1));

async function grey(count: number): Promise<void> {
  const looks = ['colour', 'grey', 'grey, its colour known'] as const;
  const made = Object.fromEntries(looks.map((l) => [l, {} as Record<string, [number, number]>]));
  let i = 0;
  for (const s of streamSamples({ split: 'test', seed: 11, families: ['local', 'text'], count })) {
    const seed = hashSeed(0, `g${i++}`);
    for (const look of looks) {
      const [before, after]: Scene[] = [s.before!, s.after].map((x) => ({ ...x, grayscale: look !== 'colour' }));
      // its colour known: the picture before a session's turn greyed it (the editor's `color`)
      const color = look === 'grey, its colour known' ? render(s.before!, 64) : undefined;
      const out = (await ed.edit({ prompt: s.instruction, image: render(before!, 64), color, seed })).image;
      const tally = (made[look][s.task] ??= [0, 0]);
      tally[0] += judge(s.edit, before!, after!, out).success ? 1 : 0;
      tally[1]++;
    }
  }
  for (const look of looks) {
    const rows = Object.entries(made[look]).map(([task, [k, of]]) => `${task} ${k}/${of}`);
    const all = Object.values(made[look]).reduce((a, [k, of]) => [a[0] + k, a[1] + of], [0, 0]);
    console.log(`${look}: ${all[0]}/${all[1]} made (${rows.join(', ')})`);
  }
}

async function gradient(): Promise<void> {
  const names = Object.keys(BACKGROUND_WORDS) as (keyof typeof BACKGROUND_WORDS)[];
  // the side columns, away from the circle
  const sides = [...Array(64).keys()].flatMap((y) => [y * 64 + 2, y * 64 + 3, y * 64 + 60, y * 64 + 61]);
  const read = (img: RGBImage, a: string, b: string) => {
    const bg = readBackground(img, sides)?.background;
    if (bg?.kind !== 'gradient') return 'other';
    return bg.from === a && bg.to === b ? 'right' : bg.from === b && bg.to === a ? 'flipped' : 'other';
  };
  const circle: Scene['objects'] = [
    { id: 1, shape: 'circle', color: 'red', size: 'small', style: 'filled', x: 0.5, y: 0.5 },
  ];
  const counts = { drawn: { right: 0, flipped: 0, other: 0 }, edited: { right: 0, flipped: 0, other: 0 } };
  for (let i = 0; i < names.length; i++)
    for (let j = 0; j < names.length; j++) {
      if (i === j || (i + j) % 3) continue;
      const [a, b] = [names[i]!, names[j]!];
      const gradientWords = `a gradient from ${BACKGROUND_WORDS[a]} at the top to ${BACKGROUND_WORDS[b]} at the bottom`;
      const picture = render(
        {
          background: { kind: 'solid', color: names[(i + j + 1) % names.length]! },
          time: 'day',
          grayscale: false,
          objects: circle,
          text: null,
          character: null,
        },
        64,
      );
      for (const seed of [0, 1, 2, 3]) {
        const drawn = await ed.generate({
          prompt: `A small red circle in the center on a background with ${gradientWords}`,
          seed,
        });
        counts.drawn[read(drawn.image, a, b)]++;
        const edited = await ed.edit({
          prompt: `Change the background to ${gradientWords}`,
          image: picture,
          seed,
          preserve: false,
          retries: 0,
        });
        counts.edited[read(edited.image, a, b)]++;
      }
    }
  console.log(`drawn from words: ${JSON.stringify(counts.drawn)}; raw edit: ${JSON.stringify(counts.edited)}`);
}

async function unnamed(seed: number): Promise<void> {
  const made = { 'in parts': 0, 'one pass': 0 };
  let i = 0;
  for (const s of streamSamples({ split: 'test', seed: 11, families: ['t2i'], count: 60 })) {
    if (s.after.character) continue;
    const prompt = s.instruction.replace(
      /(?:,\s*|\s+)on\s+(?:an?|the)\s+(?:(?!(?:on|an?|the)\s)\S+\s+){0,3}background\b[^,]*/i,
      '',
    );
    const onWhite: Scene = { ...s.after, background: { kind: 'solid', color: 'white' } };
    const at = hashSeed(seed, `u${i++}`);
    for (const inParts of [true, false]) {
      const r = await ed.generate({ prompt, seed: at, inParts });
      made[inParts ? 'in parts' : 'one pass'] += +judge(s.edit, null, onWhite, r.image).success;
    }
  }
  console.log(`${i} captions with no background, judged on white: ${JSON.stringify(made)}`);
}

if (what === 'grey') await grey(Number(n ?? 80));
else if (what === 'gradient') await gradient();
else if (what === 'unnamed') await unnamed(Number(n ?? 0));
else throw new Error('usage: scripts/mini-limits.ts grey [N] | gradient | unnamed [SEED]  [--model DIR]');
