// Preloaded into a `kontext` process (test/cli/chat.test.ts): the embedded model's transformer answers every edit
// whose input the editor keeps with the input's round trip — the picture left as it was —, so the editor's output
// step sees no try show the edit and says so (MiniEditResult.unshown), as for a model that cannot make it.
import { MiniPipeline } from '../../src/mini/pipeline.ts';

const run = MiniPipeline.prototype.runWithRoundTrips;
MiniPipeline.prototype.runWithRoundTrips = async function (reqs, o) {
  const r = await run.call(this, reqs, o);
  return { ...r, images: r.roundTrips.map((left, i) => left ?? r.images[i]!) };
};
