// Shared bits of the session tests: a temporary data folder, small images, and a fake model that records what it
// was asked (so tests can check what a turn fed the model).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createImage, type RGBImage } from '../../src/image/rgb.ts';
import type { SessionEditRequest, SessionModel } from '../../src/session/model.ts';

export async function tempDir(prefix = 'kontext-session-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function solid(r: number, g: number, b: number, w = 8, h = 6): RGBImage {
  return createImage(w, h, [r, g, b]);
}

/** A model that brightens its first input by 10 per turn (or draws gray), and keeps every request it got. */
export function fakeModel(): SessionModel & { requests: SessionEditRequest[] } {
  const requests: SessionEditRequest[] = [];
  return {
    name: 'fake',
    defaults: { numInferenceSteps: 4, guidanceScale: 1.5, candidates: 1, retries: 2 },
    requests,
    async edit(req) {
      requests.push(req);
      const src = req.images[0] ?? createImage(req.width, req.height, [100, 100, 100]);
      return { width: src.width, height: src.height, data: src.data.map((v) => Math.min(255, v + 10)) };
    },
  };
}
