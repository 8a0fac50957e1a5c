// Per-tensor scales of "scaled" f8 checkpoints (ComfyUI's `*_fp8_scaled.safetensors`, e.g. t5xxl_fp8_e4m3fn_scaled):
// f8 e4m3 holds only ±448 with 3 mantissa bits, so these files store w / s in f8 and the scale s beside it:
//
//   <module>.weight        F8_E4M3 [out, in]
//   <module>.scale_weight  F32 [] or [1]      the real weight is weight · scale_weight
//   <module>.scale_input   F32 (optional)     for f8 matmuls of the activations; we compute in f32/int8: unused
//   scaled_fp8             a marker tensor
//
// The plan is rewritten so that `<module>.weight` is read already multiplied (a 'scaled' recipe) and the scale
// tensors and the marker disappear; files without scales are left as they are.
import type { Plan, Recipe } from './diffusers.ts';
import type { KeyShapes } from './flux-keys.ts';

const SCALE = '.scale_weight';

/** The plan with every `<m>.weight` that has a scalar `<m>.scale_weight` beside it read as the scaled product. */
export function foldScales(plan: Plan, shapes: KeyShapes): Plan {
  const isScalar = (k: string) => shapes.get(k)?.reduce((a, b) => a * b, 1) === 1;
  const used = new Set<string>();
  const recipes = new Map<string, Recipe>();
  for (const [key, r] of plan.recipes) {
    const scale = r.op === 'copy' && r.src.endsWith('.weight') ? `${r.src.slice(0, -'.weight'.length)}${SCALE}` : '';
    if (r.op === 'copy' && scale && isScalar(scale)) {
      recipes.set(key, { op: 'scaled', src: r.src, scale, shape: r.shape });
      used.add(scale);
    } else {
      recipes.set(key, r);
    }
  }
  if (used.size === 0) return plan;
  // the scales themselves, the input scales of the same modules and the marker are not tensors of the model
  const consumed = (k: string) =>
    used.has(k) || k === 'scaled_fp8' || (k.endsWith('.scale_input') && used.has(k.replace(/\.scale_input$/, SCALE)));
  for (const [key, r] of [...recipes]) if (r.op === 'copy' && consumed(r.src)) recipes.delete(key);
  return { recipes, unmapped: plan.unmapped.filter((k) => !consumed(k)) };
}
