// The key layout of the text encoders' files: Hugging Face names as the module trees have them (src/prompt/clip.ts,
// t5.ts), plus what real files carry beyond the parameters we need:
//   - T5: `encoder.embed_tokens.weight` is tied to `shared.weight` (the same tensor): a file may hold either or
//     both; a full T5ForConditionalGeneration also has the decoder (`decoder.block.*`, `lm_head.weight`), unused;
//   - CLIP: the `position_ids` buffer older transformers saved, `text_projection.weight` (CLIPTextModelWithProjection,
//     ComfyUI's clip_l), and in a whole CLIPModel the vision tower and `logit_scale`; FLUX reads none of them.
// These are dropped (or, for the tie, renamed) here, so validation compares exactly the parameters the encoder
// loads; anything else a file holds stays and is reported as unexpected.
import type { Plan, Recipe } from './diffusers.ts';
import type { KeyShapes } from './flux-keys.ts';

/** Keys a file may hold beyond the encoder's parameters, which it does not use. */
const UNUSED: Record<'clip' | 't5', RegExp> = {
  clip: /^(text_model\.embeddings\.position_ids|(?:text|visual)_projection\.weight|logit_scale|vision_model\..*)$/,
  t5: /^(decoder\.(block\.\d+|final_layer_norm|embed_tokens)\..*|lm_head\.weight)$/,
};

export const T5_EMBED = 'shared.weight';
export const T5_EMBED_ALIAS = 'encoder.embed_tokens.weight';

const same = (a?: number[], b?: number[]) => !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);

/** Plan the tensors of a CLIP or T5 file under the encoder's parameter names. */
export function textEncoderPlan(which: 'clip' | 't5', shapes: KeyShapes): Plan {
  const recipes = new Map<string, Recipe>();
  for (const [src, shape] of shapes) {
    if (UNUSED[which].test(src)) continue;
    if (which === 't5' && src === T5_EMBED_ALIAS) {
      if (!shapes.has(T5_EMBED))
        recipes.set(T5_EMBED, { op: 'copy', src, shape }); // the tie, under its other name
      else if (!same(shape, shapes.get(T5_EMBED))) recipes.set(src, { op: 'copy', src, shape }); // not a tie: reported
      continue;
    }
    recipes.set(src, { op: 'copy', src, shape });
  }
  return { recipes, unmapped: [] };
}
