// The tests' slow model, registered as `slow`: in the test process (helpers.ts imports this) and in `kontext`
// child processes (node --import tsx --import ./test/service/slow-model.ts bin/kontext.mjs ...).
import { setTimeout as sleep } from 'node:timers/promises';
import { registerModel } from '../../src/bench/model.ts';
import { createImage } from '../../src/image/rgb.ts';
import type { StepRequest } from '../../src/service/model.ts';

/**
 * `slow:<ms per step>` (default 40): brightens its first input by 10 (or draws gray), taking numInferenceSteps
 * steps (default 5) of that many ms each and reporting each through onStep — which throws once the job is
 * cancelled, as the real model's does.
 */
registerModel(
  'slow',
  (arg) => ({
    name: 'slow',
    async edit(req) {
      const { onStep, numInferenceSteps } = req as StepRequest;
      const total = numInferenceSteps ?? 5;
      for (let s = 1; s <= total; s++) {
        await sleep(Number(arg || 40));
        onStep?.(s, total);
      }
      const src = req.images[0] ?? createImage(req.width, req.height, [100, 100, 100]);
      return { width: src.width, height: src.height, data: src.data.map((v) => Math.min(255, v + 10)) };
    },
  }),
  'test model: slow steps',
);
