// The progress line (src/progress.ts): counts against a total that may grow (an edit sampled again, mini/editor.ts
// retries), its bar full at the end and never past it.
import { describe, expect, it, vi } from 'vitest';
import { denoiseProgress, Progress } from '../../src/progress.ts';

/** A non-terminal stream that keeps what is written. */
function stream() {
  const lines: string[] = [];
  return { lines, s: { isTTY: false, write: (t: string) => lines.push(t) } as unknown as NodeJS.WriteStream };
}

describe('Progress', () => {
  it('counts on against a total that grows, and prints the line when it reaches the new total', () => {
    const { lines, s } = stream();
    const bar = new Progress(8, { label: 'denoise', stream: s, every: 3600 });
    for (let i = 1; i <= 8; i++) bar.tick({}, i);
    expect(lines.at(-1)).toMatch(/^denoise 8\/8 ▕█{20}▏/);
    bar.total = 16;
    bar.tick({}, 12);
    expect(bar.line()).toMatch(/^denoise 12\/16 ▕█{15}░{5}▏/);
    bar.tick({}, 16);
    expect(lines.at(-1)).toMatch(/^denoise 16\/16 ▕█{20}▏/);
  });

  it('draws a full bar, not an error, for a count past its total', () => {
    const bar = new Progress(4, { quiet: true });
    bar.tick({}, 6);
    expect(bar.line()).toMatch(/6\/4 ▕█{20}▏/);
  });
});

describe('denoiseProgress', () => {
  it('measures the rate from the first step it is told of: none at it, then the steps after it over the time since', () => {
    const { lines, s } = stream();
    let now = 1_000_000;
    // a clock a millisecond on at each reading: the first step is told of a millisecond after the line is made
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => ++now);
    try {
      const bar = denoiseProgress({ stream: s });
      bar.onStep(1, 8); // (it ran before the line existed: one step over a millisecond had read 1000 it/s)
      expect(lines.at(-1)).toMatch(/^denoise 1\/8 ▕.*▏ +0\.00 it\/s ETA \?\n$/);
      now += 2000; // each step after it takes 2 s
      bar.onStep(2, 8);
      expect(lines.at(-1)).toMatch(/^denoise 2\/8 ▕.*▏ +2\.00 s\/it ETA 12s\n$/);
      now += 2000;
      bar.onStep(3, 10); // sampled again: the total grows
      expect(lines.at(-1)).toMatch(/^denoise 3\/10 ▕.*▏ +2\.00 s\/it ETA 14s\n$/);
    } finally {
      clock.mockRestore();
    }
  });
});
