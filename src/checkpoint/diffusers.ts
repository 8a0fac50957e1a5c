// The diffusers checkpoint layout and its mapping to BFL names (../shared/docs/kontext-reference.md §3.3, §3.4).
//
// diffusers `FluxTransformer2DModel` stores the same numbers as the BFL file under other names, with three structural
// differences, all undone here without arithmetic:
//   1. fused q/k/v matrices are split: BFL `*_attn.qkv` [3H, H] = rows [to_q; to_k; to_v];
//   2. the single block's `linear1` [3H + mlp, H] = rows [to_q; to_k; to_v; proj_mlp];
//   3. the final modulation is [scale; shift] in diffusers and [shift; scale] in BFL: the two row halves swap.
// diffusers `AutoencoderKL` renames the LDM modules, orders the decoder's up blocks by execution (up_blocks.i =
// BFL up.(N−1−i)) and stores the mid-block attention's 1×1 convs as Linear [C, C] (BFL [C, C, 1, 1]).
//
// A mapping is a "plan": for every BFL key, a recipe saying which source tensors make it. Plans are built from the
// source's key names and shapes only; tensors are read and combined when the loader asks for them (source.ts).
import type { HostTensor } from '../engine/dtype.ts';
import { blockIndices, type KeyShapes } from './flux-keys.ts';
import { reshape, splitRows, swapHalves } from './tensor-ops.ts';

/** How to make one BFL tensor from source tensors. */
export type Recipe =
  | { op: 'copy'; src: string; shape: number[] } // rename, possibly with a new shape (same elements)
  | { op: 'concat'; srcs: string[]; shape: number[] } // concatenate rows
  | { op: 'swapHalves'; src: string; shape: number[] } // [a; b] → [b; a]
  | { op: 'scaled'; src: string; scale: string; shape: number[] }; // an f8 weight × its per-tensor scale (scales.ts)

export interface Plan {
  /** BFL key → recipe */
  recipes: Map<string, Recipe>;
  /** source keys that map to nothing (reported as unexpected by validation, under their own names) */
  unmapped: string[];
}

// ---------------------------------------------------------------- transformer
/** A diffusers module → its BFL module; `part` of `parts` for row blocks of a fused matrix; `swap` for halves. */
interface Rule {
  to: string;
  part?: number;
  parts?: number;
  swap?: boolean;
}
type Table = Map<string, Rule>;

const TOP: Table = new Map([
  ['x_embedder', { to: 'img_in' }],
  ['context_embedder', { to: 'txt_in' }],
  ['time_text_embed.timestep_embedder.linear_1', { to: 'time_in.in_layer' }],
  ['time_text_embed.timestep_embedder.linear_2', { to: 'time_in.out_layer' }],
  ['time_text_embed.guidance_embedder.linear_1', { to: 'guidance_in.in_layer' }],
  ['time_text_embed.guidance_embedder.linear_2', { to: 'guidance_in.out_layer' }],
  ['time_text_embed.text_embedder.linear_1', { to: 'vector_in.in_layer' }],
  ['time_text_embed.text_embedder.linear_2', { to: 'vector_in.out_layer' }],
  ['norm_out.linear', { to: 'final_layer.adaLN_modulation.1', swap: true }],
  ['proj_out', { to: 'final_layer.linear' }],
]);

const DOUBLE: Table = new Map([
  ['norm1.linear', { to: 'img_mod.lin' }],
  ['norm1_context.linear', { to: 'txt_mod.lin' }],
  ['attn.to_q', { to: 'img_attn.qkv', part: 0, parts: 3 }],
  ['attn.to_k', { to: 'img_attn.qkv', part: 1, parts: 3 }],
  ['attn.to_v', { to: 'img_attn.qkv', part: 2, parts: 3 }],
  ['attn.add_q_proj', { to: 'txt_attn.qkv', part: 0, parts: 3 }],
  ['attn.add_k_proj', { to: 'txt_attn.qkv', part: 1, parts: 3 }],
  ['attn.add_v_proj', { to: 'txt_attn.qkv', part: 2, parts: 3 }],
  ['attn.norm_q', { to: 'img_attn.norm.query_norm' }],
  ['attn.norm_k', { to: 'img_attn.norm.key_norm' }],
  ['attn.norm_added_q', { to: 'txt_attn.norm.query_norm' }],
  ['attn.norm_added_k', { to: 'txt_attn.norm.key_norm' }],
  ['attn.to_out.0', { to: 'img_attn.proj' }],
  ['attn.to_add_out', { to: 'txt_attn.proj' }],
  ['ff.net.0.proj', { to: 'img_mlp.0' }],
  ['ff.net.2', { to: 'img_mlp.2' }],
  ['ff_context.net.0.proj', { to: 'txt_mlp.0' }],
  ['ff_context.net.2', { to: 'txt_mlp.2' }],
]);

const SINGLE: Table = new Map([
  ['norm.linear', { to: 'modulation.lin' }],
  ['attn.to_q', { to: 'linear1', part: 0, parts: 4 }],
  ['attn.to_k', { to: 'linear1', part: 1, parts: 4 }],
  ['attn.to_v', { to: 'linear1', part: 2, parts: 4 }],
  ['proj_mlp', { to: 'linear1', part: 3, parts: 4 }],
  ['attn.norm_q', { to: 'norm.query_norm' }],
  ['attn.norm_k', { to: 'norm.key_norm' }],
  ['proj_out', { to: 'linear2' }],
]);

/** BFL's RMSNorm parameter is `scale`; torch.nn.RMSNorm's (diffusers) is `weight`. */
const isRmsNorm = (bflModule: string) => bflModule.endsWith('query_norm') || bflModule.endsWith('key_norm');

function splitKey(key: string): [module: string, param: string] {
  const dot = key.lastIndexOf('.');
  return [key.slice(0, dot), key.slice(dot + 1)];
}

/** The BFL key (and rule) of one diffusers transformer key, or undefined if it has none. */
function mapTransformerKey(src: string): { bfl: string; rule: Rule } | undefined {
  const [module, param] = splitKey(src);
  let m: RegExpExecArray | null;
  let rule: Rule | undefined;
  let prefix = '';
  if ((m = /^transformer_blocks\.(\d+)\.(.+)$/.exec(module))) {
    rule = DOUBLE.get(m[2]);
    prefix = `double_blocks.${m[1]}.`;
  } else if ((m = /^single_transformer_blocks\.(\d+)\.(.+)$/.exec(module))) {
    rule = SINGLE.get(m[2]);
    prefix = `single_blocks.${m[1]}.`;
  } else {
    rule = TOP.get(module);
  }
  if (!rule) return undefined;
  if (isRmsNorm(rule.to)) {
    if (param !== 'weight') return undefined;
    return { bfl: `${prefix}${rule.to}.scale`, rule };
  }
  if (param !== 'weight' && param !== 'bias') return undefined;
  return { bfl: `${prefix}${rule.to}.${param}`, rule };
}

/** Does this key set use diffusers transformer names? */
export function isDiffusersTransformer(keys: Iterable<string>): boolean {
  for (const k of keys) if (/^(single_)?transformer_blocks\.\d+\./.test(k) || k.startsWith('x_embedder.')) return true;
  return false;
}

/** Does this key set use diffusers AutoencoderKL names? */
export function isDiffusersVae(keys: Iterable<string>): boolean {
  for (const k of keys)
    if (/^(encoder|decoder)\.(down_blocks|up_blocks|mid_block|conv_norm_out)\./.test(k)) return true;
  return false;
}

/** Plan the BFL tensors of a diffusers transformer (fused matrices are built only from complete part sets). */
export function diffusersTransformerPlan(shapes: KeyShapes): Plan {
  const recipes = new Map<string, Recipe>();
  const unmapped: string[] = [];
  const groups = new Map<string, (string | undefined)[]>();
  for (const src of shapes.keys()) {
    const m = mapTransformerKey(src);
    if (!m) {
      unmapped.push(src);
      continue;
    }
    const shape = shapes.get(src)!;
    const { rule, bfl } = m;
    if (rule.parts !== undefined) {
      let g = groups.get(bfl);
      if (!g) {
        g = new Array<string | undefined>(rule.parts).fill(undefined);
        groups.set(bfl, g);
        recipes.set(bfl, { op: 'concat', srcs: [], shape: [] }); // keeps the key's place; filled below
      }
      g[rule.part!] = src;
    } else if (recipes.has(bfl) || (rule.swap && !(shape.length >= 1 && shape[0] % 2 === 0))) {
      // a second source for the same key, or [a; b] halves that a 0-d or odd-row tensor does not have: reported
      // as unexpected by validation rather than failing (or choosing silently) when the tensor is read
      unmapped.push(src);
    } else {
      recipes.set(bfl, rule.swap ? { op: 'swapHalves', src, shape } : { op: 'copy', src, shape });
    }
  }
  for (const [bfl, parts] of groups) {
    const srcs = parts.filter((p): p is string => p !== undefined);
    const partShapes = srcs.map((s) => shapes.get(s)!);
    const tail = JSON.stringify(partShapes[0].slice(1));
    // rows are concatenated: every part needs a first dimension (a 0-d part would make the row count NaN)
    if (srcs.length === parts.length && partShapes.every((s) => s.length >= 1 && JSON.stringify(s.slice(1)) === tail)) {
      recipes.set(bfl, {
        op: 'concat',
        srcs,
        shape: [partShapes.reduce((n, s) => n + s[0], 0), ...partShapes[0].slice(1)],
      });
    } else {
      recipes.delete(bfl); // incomplete or inconsistent: the BFL key is missing, its parts unexpected
      unmapped.push(...srcs);
    }
  }
  return { recipes, unmapped };
}

/** The inverse mapping, on tensors in memory: BFL transformer tensors → diffusers names (for tests and export). */
export function bflToDiffusersTransformer(tensors: Map<string, HostTensor>): Map<string, HostTensor> {
  const hidden = tensors.get('img_in.weight')?.shape[0];
  if (hidden === undefined) throw new Error('bflToDiffusersTransformer: no img_in.weight');
  const reverse = (table: Table) => {
    const r = new Map<string, [string, Rule][]>();
    for (const [from, rule] of table) r.set(rule.to, [...(r.get(rule.to) ?? []), [from, rule]]);
    return r;
  };
  const [rTop, rDouble, rSingle] = [reverse(TOP), reverse(DOUBLE), reverse(SINGLE)];
  const out = new Map<string, HostTensor>();
  for (const [key, t] of tensors) {
    const [module, param] = splitKey(key);
    let m: RegExpExecArray | null;
    let rules: [string, Rule][] | undefined;
    let prefix = '';
    if ((m = /^double_blocks\.(\d+)\.(.+)$/.exec(module))) {
      rules = rDouble.get(m[2]);
      prefix = `transformer_blocks.${m[1]}.`;
    } else if ((m = /^single_blocks\.(\d+)\.(.+)$/.exec(module))) {
      rules = rSingle.get(m[2]);
      prefix = `single_transformer_blocks.${m[1]}.`;
    } else {
      rules = rTop.get(module);
    }
    if (!rules) throw new Error(`bflToDiffusersTransformer: no diffusers name for '${key}'`);
    const dParam = param === 'scale' ? 'weight' : param;
    if (rules[0][1].parts === undefined) {
      const [[from, rule]] = rules;
      out.set(`${prefix}${from}.${dParam}`, rule.swap ? swapHalves(t) : t);
      continue;
    }
    const rows = t.shape[0];
    const sizes = rules.length === 3 ? [rows / 3, rows / 3, rows / 3] : [hidden, hidden, hidden, rows - 3 * hidden];
    const pieces = splitRows(t, sizes);
    for (const [from, rule] of rules) out.set(`${prefix}${from}.${dParam}`, pieces[rule.part!]);
  }
  return out;
}

// ---------------------------------------------------------------- autoencoder
const VAE_RESNET_PART: Record<string, string> = {
  norm1: 'norm1',
  conv1: 'conv1',
  norm2: 'norm2',
  conv2: 'conv2',
  conv_shortcut: 'nin_shortcut',
};
/** new diffusers names, then the names of diffusers < 0.15 */
const VAE_ATTN_PART: Record<string, string> = {
  group_norm: 'norm',
  to_q: 'q',
  to_k: 'k',
  to_v: 'v',
  'to_out.0': 'proj_out',
  query: 'q',
  key: 'k',
  value: 'v',
  proj_attn: 'proj_out',
};

/** table[k] for the table's own keys only: a key named 'constructor' or '__proto__' must not find Object's. */
function own<T>(table: Record<string, T>, k: string): T | undefined {
  return Object.hasOwn(table, k) ? table[k] : undefined;
}

/** BFL key of one diffusers VAE key (`levels` = number of resolution levels), or undefined. */
function mapVaeKey(src: string, levels: number): { bfl: string; attnLinear: boolean } | undefined {
  const [module, param] = splitKey(src);
  const resnetPart = (m: RegExpExecArray, i: number) => own(VAE_RESNET_PART, m[i]);
  if (param !== 'weight' && param !== 'bias') return undefined;
  let m: RegExpExecArray | null;
  const plain = (bfl: string) => ({ bfl: `${bfl}.${param}`, attnLinear: false });
  if ((m = /^(encoder|decoder)\.(conv_in|conv_out)$/.exec(module))) return plain(module);
  if ((m = /^(encoder|decoder)\.conv_norm_out$/.exec(module))) return plain(`${m[1]}.norm_out`);
  if ((m = /^encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.(\w+)$/.exec(module)) && resnetPart(m, 3)) {
    return plain(`encoder.down.${m[1]}.block.${m[2]}.${resnetPart(m, 3)}`);
  }
  if ((m = /^encoder\.down_blocks\.(\d+)\.downsamplers\.0\.conv$/.exec(module)))
    return plain(`encoder.down.${m[1]}.downsample.conv`);
  if ((m = /^decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(\w+)$/.exec(module)) && resnetPart(m, 3)) {
    return plain(`decoder.up.${levels - 1 - Number(m[1])}.block.${m[2]}.${resnetPart(m, 3)}`);
  }
  if ((m = /^decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv$/.exec(module)))
    return plain(`decoder.up.${levels - 1 - Number(m[1])}.upsample.conv`);
  if ((m = /^(encoder|decoder)\.mid_block\.resnets\.([01])\.(\w+)$/.exec(module)) && resnetPart(m, 3)) {
    return plain(`${m[1]}.mid.block_${Number(m[2]) + 1}.${resnetPart(m, 3)}`);
  }
  if ((m = /^(encoder|decoder)\.mid_block\.attentions\.0\.(.+)$/.exec(module)) && own(VAE_ATTN_PART, m[2])) {
    const part = own(VAE_ATTN_PART, m[2])!;
    return { bfl: `${m[1]}.mid.attn_1.${part}.${param}`, attnLinear: part !== 'norm' && param === 'weight' };
  }
  return undefined;
}

/** Plan the BFL tensors of a diffusers AutoencoderKL. */
export function diffusersVaePlan(shapes: KeyShapes): Plan {
  const keys = [...shapes.keys()];
  const levels = Math.max(
    blockIndices(keys, 'decoder.up_blocks').length,
    blockIndices(keys, 'encoder.down_blocks').length,
  );
  const recipes = new Map<string, Recipe>();
  const unmapped: string[] = [];
  for (const src of keys) {
    const m = mapVaeKey(src, levels);
    if (!m) {
      unmapped.push(src);
      continue;
    }
    const shape = shapes.get(src)!;
    if (recipes.has(m.bfl)) {
      // old and new diffusers names of one tensor (query and to_q): keep the first, report the other
      unmapped.push(src);
      continue;
    }
    // Linear [C, C] → 1×1 conv [C, C, 1, 1]: same elements in the same order
    recipes.set(m.bfl, { op: 'copy', src, shape: m.attnLinear && shape.length === 2 ? [...shape, 1, 1] : shape });
  }
  return { recipes, unmapped };
}

/** The inverse mapping on tensors in memory: BFL (LDM) autoencoder tensors → diffusers AutoencoderKL names. */
export function bflToDiffusersVae(tensors: Map<string, HostTensor>): Map<string, HostTensor> {
  const levels = blockIndices(tensors.keys(), 'decoder.up').length;
  const resnet = Object.fromEntries(Object.entries(VAE_RESNET_PART).map(([d, b]) => [b, d]));
  const attn: Record<string, string> = { norm: 'group_norm', q: 'to_q', k: 'to_k', v: 'to_v', proj_out: 'to_out.0' };
  const out = new Map<string, HostTensor>();
  for (const [key, t] of tensors) {
    const [module, param] = splitKey(key);
    let m: RegExpExecArray | null;
    let name: string | undefined;
    let value = t;
    if (/^(encoder|decoder)\.(conv_in|conv_out)$/.test(module)) name = module;
    else if ((m = /^(encoder|decoder)\.norm_out$/.exec(module))) name = `${m[1]}.conv_norm_out`;
    else if ((m = /^encoder\.down\.(\d+)\.block\.(\d+)\.(\w+)$/.exec(module)))
      name = `encoder.down_blocks.${m[1]}.resnets.${m[2]}.${resnet[m[3]]}`;
    else if ((m = /^encoder\.down\.(\d+)\.downsample\.conv$/.exec(module)))
      name = `encoder.down_blocks.${m[1]}.downsamplers.0.conv`;
    else if ((m = /^decoder\.up\.(\d+)\.block\.(\d+)\.(\w+)$/.exec(module))) {
      name = `decoder.up_blocks.${levels - 1 - Number(m[1])}.resnets.${m[2]}.${resnet[m[3]]}`;
    } else if ((m = /^decoder\.up\.(\d+)\.upsample\.conv$/.exec(module)))
      name = `decoder.up_blocks.${levels - 1 - Number(m[1])}.upsamplers.0.conv`;
    else if ((m = /^(encoder|decoder)\.mid\.block_([12])\.(\w+)$/.exec(module)))
      name = `${m[1]}.mid_block.resnets.${Number(m[2]) - 1}.${resnet[m[3]]}`;
    else if ((m = /^(encoder|decoder)\.mid\.attn_1\.(\w+)$/.exec(module))) {
      name = `${m[1]}.mid_block.attentions.0.${attn[m[2]]}`;
      if (m[2] !== 'norm' && param === 'weight') value = reshape(t, t.shape.slice(0, 2)); // 1×1 conv → Linear
    }
    if (!name || name.includes('undefined')) throw new Error(`bflToDiffusersVae: no diffusers name for '${key}'`);
    out.set(`${name}.${param}`, value);
  }
  return out;
}
