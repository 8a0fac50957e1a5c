// One-graph training steps: forward, backward (autodiff.ts) and AdamW (optim.ts) compiled into one ONNX model,
// so one ONNX Runtime call does a whole step.
//
// Parameters and the optimizer moments live in host buffers owned by the Trainer and are passed to ORT without
// copies or serialization. Every tensor of state has two buffers: a step reads from one and ORT writes the
// updated values straight into the other (preallocated outputs); then they swap.

import { UserError } from '../errors.ts';
import { SafetensorsFile, writeSafetensors } from '../io/safetensors.ts';
import { grad } from './autodiff.ts';
import type { HostTensor } from './dtype.ts';
import { Graph, type Tensor } from './graph.ts';
import type { Parameter } from './module.ts';
import { type AdamWOptions, adamw } from './optim.ts';
import { type CompiledGraph, compile, type EngineOptions } from './session.ts';

export interface TrainerOptions extends AdamWOptions {
  /** which parameters get weight decay (default: matrices and conv kernels, not biases and norm scales) */
  decay?: (p: Parameter) => boolean;
  engine?: EngineOptions;
}

interface Slot {
  param: Parameter;
  feed: string; // graph input name of the parameter
  cur: { p: HostTensor; m: HostTensor; v: HostTensor };
  next: { p: HostTensor; m: HostTensor; v: HostTensor };
}

const zerosLike = (t: HostTensor): HostTensor => ({ dtype: t.dtype, shape: [...t.shape], data: new (t.data.constructor as Float32ArrayConstructor)(t.data.length) });
const copyOf = (t: HostTensor): HostTensor => ({ dtype: t.dtype, shape: [...t.shape], data: (t.data as Float32Array).slice() });

export class Trainer {
  /** number of steps taken so far */
  step = 0;
  lr: number;

  private constructor(
    private readonly compiled: CompiledGraph,
    private readonly slots: Slot[],
    readonly dataInputs: { name: string; shape: readonly number[]; dtype: string }[],
    opts: TrainerOptions,
  ) {
    this.lr = opts.lr;
  }

  /**
   * Build the training graph. `buildLoss(g)` declares its data inputs with `g.input(...)`, runs the model and
   * returns a scalar loss. Every parameter the loss uses is trained; parameters must hold initial values.
   */
  static async create(buildLoss: (g: Graph) => Tensor, opts: TrainerOptions): Promise<Trainer> {
    const g = new Graph('input');
    const loss = g.build(() => buildLoss(g));
    if (loss.size !== 1) throw new Error(`Trainer: the loss must be a scalar, got shape [${loss.shape}]`);
    const dataInputs = g.inputs.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype }));
    const params = g.params();
    if (params.length === 0) throw new Error('Trainer: the loss uses no parameters');
    const pts = params.map((p) => g.paramTensor(p)!);
    const grads = grad(loss, pts);
    const decay = opts.decay ?? ((p: Parameter) => p.shape.length >= 2);
    const states = params.map((p, i) => ({
      param: pts[i],
      grad: grads[i],
      m: g.input(`adam.m.${p.key}`, p.shape, p.dtype),
      v: g.input(`adam.v.${p.key}`, p.shape, p.dtype),
      decay: decay(p),
    }));
    const step = g.input('adam.step', [], 'float32');
    const lr = g.input('adam.lr', [], 'float32');
    const upd = adamw(states, step, lr, opts);
    g.output('loss', loss);
    g.output('grad_norm', upd.gradNorm);
    params.forEach((p, i) => {
      g.output(`new.${p.key}`, upd.params[i]);
      g.output(`new.adam.m.${p.key}`, upd.m[i]);
      g.output(`new.adam.v.${p.key}`, upd.v[i]);
    });
    const compiled = await compile(g, { ...opts.engine, noCache: true });
    const slots = params.map((p, i) => {
      if (!p.value) throw new Error(`Trainer: parameter ${p.key} has no initial value (call initParameters first)`);
      const cur = { p: copyOf(p.value), m: zerosLike(p.value), v: zerosLike(p.value) };
      const next = { p: zerosLike(p.value), m: zerosLike(p.value), v: zerosLike(p.value) };
      return { param: p, feed: pts[i].name, cur, next };
    });
    return new Trainer(compiled, slots, dataInputs, opts);
  }

  /** One optimisation step on a batch (feeds for the data inputs). */
  async trainStep(batch: Record<string, HostTensor>): Promise<{ loss: number; gradNorm: number }> {
    this.step++;
    const feeds: Record<string, HostTensor> = { ...batch };
    feeds['adam.step'] = { dtype: 'float32', shape: [], data: new Float32Array([this.step]) };
    feeds['adam.lr'] = { dtype: 'float32', shape: [], data: new Float32Array([this.lr]) };
    const into: Record<string, HostTensor> = {};
    for (const s of this.slots) {
      feeds[s.feed] = s.cur.p;
      feeds[`adam.m.${s.param.key}`] = s.cur.m;
      feeds[`adam.v.${s.param.key}`] = s.cur.v;
      into[`new.${s.param.key}`] = s.next.p;
      into[`new.adam.m.${s.param.key}`] = s.next.m;
      into[`new.adam.v.${s.param.key}`] = s.next.v;
    }
    const out = await this.compiled.run(feeds, into);
    for (const s of this.slots) [s.cur, s.next] = [s.next, s.cur];
    return { loss: Number(out.loss.data[0]), gradNorm: Number(out.grad_norm.data[0]) };
  }

  /** Copy the trained values back into the model's Parameters (for inference graphs or saving). */
  syncParameters(): void {
    for (const s of this.slots) s.param.set(copyOf(s.cur.p));
  }

  /** Save parameters and optimizer state (moments and step) as safetensors. */
  async save(path: string): Promise<void> {
    const tensors: Record<string, HostTensor> = {};
    for (const s of this.slots) {
      tensors[s.param.key] = s.cur.p;
      tensors[`adam.m.${s.param.key}`] = s.cur.m;
      tensors[`adam.v.${s.param.key}`] = s.cur.v;
    }
    await writeSafetensors(path, tensors, { step: String(this.step), lr: String(this.lr), format: 'kontext-trainer' });
  }

  /** Restore what `save` wrote; the file must hold every trained parameter with the same shapes. */
  async load(path: string): Promise<void> {
    const f = await SafetensorsFile.open(path);
    const problems: string[] = [];
    for (const s of this.slots) {
      for (const [key, into] of [
        [s.param.key, 'p'],
        [`adam.m.${s.param.key}`, 'm'],
        [`adam.v.${s.param.key}`, 'v'],
      ] as const) {
        const x = f.has(key) ? await f.read(key) : null;
        if (!x) problems.push(`missing ${key}`);
        else if (x.shape.join() !== s.cur[into].shape.join()) problems.push(`${key} is [${x.shape}], expected [${s.cur[into].shape}]`);
        else (s.cur[into].data as Float32Array).set(x.data as Float32Array);
      }
    }
    const step = Number(f.metadata.step ?? 0);
    await f.close();
    if (problems.length) throw new UserError(`cannot resume from ${path}: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ''}`);
    this.step = step;
  }
}
