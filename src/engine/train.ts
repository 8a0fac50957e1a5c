// One-graph training steps: forward, backward (autodiff.ts) and AdamW (optim.ts) compiled into one ONNX model,
// so one ONNX Runtime call does a whole step.
//
// Parameters, the optimizer moments and (optionally) an exponential moving average of the parameters live in host
// buffers owned by the Trainer and are passed to ORT without copies or serialization. Every tensor of state has two
// buffers: a step reads from one and ORT writes the updated values straight into the other (preallocated outputs);
// then they swap.
//
// A Trainer may hold several *variants* of the loss graph over the same parameters (e.g. one per number of context
// images, since shapes are static): each variant is compiled once and every step names the one it runs. Inference
// graphs built with `new Graph('input')` can run on `trainer.values()` directly, so evaluating during training
// compiles nothing new and copies no weights.

import { UserError } from '../errors.ts';
import { SafetensorsFile, writeSafetensors } from '../io/safetensors.ts';
import { grad } from './autodiff.ts';
import type { HostTensor } from './dtype.ts';
import { Graph, Tensor } from './graph.ts';
import type { Parameter } from './module.ts';
import * as F from './ops.ts';
import { type AdamWOptions, adamw } from './optim.ts';
import { type CompiledGraph, compile, type EngineOptions } from './session.ts';

export interface TrainerOptions extends AdamWOptions {
  /** which parameters get weight decay (default: matrices and conv kernels, not biases and norm scales) */
  decay?: (p: Parameter) => boolean;
  /** keep an exponential moving average of the parameters, updated inside the step (decay given per step) */
  ema?: boolean;
  engine?: EngineOptions;
}

/** What a loss builder returns: the scalar loss, or the loss and further scalars to report (not differentiated). */
export type LossResult = Tensor | { loss: Tensor; logs?: Record<string, Tensor> };
export type LossBuilder = (g: Graph) => LossResult;

interface State {
  p: HostTensor;
  m: HostTensor;
  v: HostTensor;
  e: HostTensor | null;
}

interface Slot {
  param: Parameter;
  cur: State;
  next: State;
}

interface Variant {
  compiled: CompiledGraph;
  dataInputs: { name: string; shape: readonly number[]; dtype: string }[];
  logs: string[];
}

export interface StepResult {
  loss: number;
  gradNorm: number;
  /** the builder's extra scalars */
  logs: Record<string, number>;
}

const zerosLike = (t: HostTensor): HostTensor => ({
  dtype: t.dtype,
  shape: [...t.shape],
  data: new (t.data.constructor as Float32ArrayConstructor)(t.data.length),
});
const copyOf = (t: HostTensor): HostTensor => ({
  dtype: t.dtype,
  shape: [...t.shape],
  data: (t.data as Float32Array).slice(),
});
const scalar = (x: number): HostTensor => ({ dtype: 'float32', shape: [], data: new Float32Array([x]) });

export class Trainer {
  /** number of steps taken so far */
  step = 0;
  lr: number;

  private constructor(
    private readonly variants: Map<string, Variant>,
    private readonly slots: Slot[],
    readonly ema: boolean,
    opts: TrainerOptions,
  ) {
    this.lr = opts.lr;
  }

  /** Data inputs of the (first or named) variant. */
  dataInputs(variant?: string): Variant['dataInputs'] {
    return this.variant(variant).dataInputs;
  }

  get variantNames(): string[] {
    return [...this.variants.keys()];
  }

  /** The trained parameters, in a fixed order. */
  get parameters(): Parameter[] {
    return this.slots.map((s) => s.param);
  }

  /**
   * Build the training graph(s). `buildLoss(g)` declares its data inputs with `g.input(...)`, runs the model and
   * returns a scalar loss. Pass a record of builders for several variants over the same parameters. Every
   * parameter any variant uses is trained; parameters must hold initial values.
   */
  static async create(buildLoss: LossBuilder | Record<string, LossBuilder>, opts: TrainerOptions): Promise<Trainer> {
    const builders = typeof buildLoss === 'function' ? { main: buildLoss } : buildLoss;
    const built = Object.entries(builders).map(([name, build]) => {
      // differentiable: ops keep their composite forms (attention as MatMul–Softmax–MatMul, see F.sdpa)
      const g = new Graph('input', { differentiable: true });
      const r = g.build(() => build(g));
      const { loss, logs = {} } = r instanceof Tensor ? { loss: r } : r;
      if (loss.size !== 1) throw new Error(`Trainer: the loss must be a scalar, got shape [${loss.shape}]`);
      return {
        name,
        g,
        loss,
        logs,
        dataInputs: g.inputs.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype })),
      };
    });
    // the union of parameters, in first-use order; a variant that does not use one still carries it (zero gradient)
    const params = [...new Set(built.flatMap((b) => b.g.params()))];
    if (params.length === 0) throw new Error('Trainer: the loss uses no parameters');
    const decay = opts.decay ?? ((p: Parameter) => p.shape.length >= 2);
    const variants = new Map<string, Variant>();
    for (const b of built) {
      const { g, loss } = b;
      const pts = params.map((p) => g.param(p));
      pts.forEach((t, i) => {
        if (t.name !== params[i].key)
          throw new Error(`Trainer: parameter key '${params[i].key}' is missing or not unique`);
      });
      const grads = g.build(() => grad(loss, pts));
      const states = params.map((p, i) => ({
        param: pts[i],
        grad: grads[i],
        m: g.input(`adam.m.${p.key}`, p.shape, p.dtype),
        v: g.input(`adam.v.${p.key}`, p.shape, p.dtype),
        decay: decay(p),
      }));
      g.build(() => {
        const step = g.input('adam.step', [], 'float32');
        const lr = g.input('adam.lr', [], 'float32');
        const upd = adamw(states, step, lr, opts);
        g.output('loss', loss);
        g.output('grad_norm', upd.gradNorm);
        for (const [k, t] of Object.entries(b.logs)) g.output(`log.${k}`, t);
        const emaDecay = opts.ema ? g.input('ema.decay', [], 'float32') : null;
        const emaRate = emaDecay ? F.sub(1, emaDecay) : null; // 1 − d, once per step
        params.forEach((p, i) => {
          g.output(`new.${p.key}`, upd.params[i]);
          g.output(`new.adam.m.${p.key}`, upd.m[i]);
          g.output(`new.adam.v.${p.key}`, upd.v[i]);
          if (emaRate) {
            const e = g.input(`ema.${p.key}`, p.shape, p.dtype);
            // e ← e + (1 − d)·(p_new − e)
            g.output(`new.ema.${p.key}`, F.add(e, F.mul(F.sub(upd.params[i], e), emaRate)));
          }
        });
      });
      const compiled = await compile(g, { ...opts.engine, noCache: true });
      variants.set(b.name, { compiled, dataInputs: b.dataInputs, logs: Object.keys(b.logs) });
    }
    const slots = params.map((p) => {
      if (!p.value) throw new Error(`Trainer: parameter ${p.key} has no initial value (call initParameters first)`);
      const cur: State = {
        p: copyOf(p.value),
        m: zerosLike(p.value),
        v: zerosLike(p.value),
        e: opts.ema ? copyOf(p.value) : null,
      };
      const next: State = {
        p: zerosLike(p.value),
        m: zerosLike(p.value),
        v: zerosLike(p.value),
        e: opts.ema ? zerosLike(p.value) : null,
      };
      return { param: p, cur, next };
    });
    return new Trainer(variants, slots, !!opts.ema, opts);
  }

  private variant(name?: string): Variant {
    const v = name === undefined ? this.variants.values().next().value : this.variants.get(name);
    if (!v) throw new Error(`Trainer: no variant '${name}' (variants: ${this.variantNames.join(', ')})`);
    return v;
  }

  /** One optimisation step on a batch (feeds for the data inputs of the chosen variant). */
  async trainStep(
    batch: Record<string, HostTensor>,
    o: { variant?: string; emaDecay?: number } = {},
  ): Promise<StepResult> {
    const v = this.variant(o.variant);
    this.step++;
    const feeds: Record<string, HostTensor> = { ...batch };
    feeds['adam.step'] = scalar(this.step);
    feeds['adam.lr'] = scalar(this.lr);
    if (this.ema) feeds['ema.decay'] = scalar(o.emaDecay ?? 0.999);
    const into: Record<string, HostTensor> = {};
    for (const s of this.slots) {
      const k = s.param.key;
      feeds[k] = s.cur.p;
      feeds[`adam.m.${k}`] = s.cur.m;
      feeds[`adam.v.${k}`] = s.cur.v;
      into[`new.${k}`] = s.next.p;
      into[`new.adam.m.${k}`] = s.next.m;
      into[`new.adam.v.${k}`] = s.next.v;
      if (s.cur.e && s.next.e) {
        feeds[`ema.${k}`] = s.cur.e;
        into[`new.ema.${k}`] = s.next.e;
      }
    }
    const out = await v.compiled.run(feeds, into);
    for (const s of this.slots) [s.cur, s.next] = [s.next, s.cur];
    const logs: Record<string, number> = {};
    for (const k of v.logs) logs[k] = Number(out[`log.${k}`].data[0]);
    return { loss: Number(out.loss.data[0]), gradNorm: Number(out.grad_norm.data[0]), logs };
  }

  /**
   * The current parameter values ('params') or their moving average ('ema') by parameter key, without copying:
   * feed them to an inference graph built with `new Graph('input')`. Valid until the next step.
   */
  values(which: 'params' | 'ema' = 'params'): Map<string, HostTensor> {
    if (which === 'ema' && !this.ema) throw new Error('Trainer: created without ema');
    return new Map(this.slots.map((s) => [s.param.key, which === 'ema' ? s.cur.e! : s.cur.p]));
  }

  /** Copy the trained values (or their moving average) back into the model's Parameters. */
  syncParameters(which: 'params' | 'ema' = 'params'): void {
    for (const [k, v] of this.values(which)) this.slots.find((s) => s.param.key === k)!.param.set(copyOf(v));
  }

  /** Save parameters, optimizer state and EMA (moments and step) as safetensors, with extra metadata. */
  async save(path: string, metadata: Record<string, string> = {}): Promise<void> {
    const tensors: Record<string, HostTensor> = {};
    for (const s of this.slots) {
      tensors[s.param.key] = s.cur.p;
      tensors[`adam.m.${s.param.key}`] = s.cur.m;
      tensors[`adam.v.${s.param.key}`] = s.cur.v;
      if (s.cur.e) tensors[`ema.${s.param.key}`] = s.cur.e;
    }
    await writeSafetensors(path, tensors, {
      ...metadata,
      step: String(this.step),
      lr: String(this.lr),
      format: 'kontext-trainer',
    });
  }

  /**
   * Restore what `save` wrote; the file must hold every trained parameter with the same shapes. Returns its metadata.
   */
  async load(path: string): Promise<Record<string, string>> {
    const f = await SafetensorsFile.open(path);
    const problems: string[] = [];
    for (const s of this.slots) {
      const parts: [string, HostTensor][] = [
        [s.param.key, s.cur.p],
        [`adam.m.${s.param.key}`, s.cur.m],
        [`adam.v.${s.param.key}`, s.cur.v],
      ];
      if (s.cur.e) parts.push([`ema.${s.param.key}`, s.cur.e]);
      for (const [key, into] of parts) {
        const x = f.has(key) ? await f.read(key) : null;
        if (!x) problems.push(`missing ${key}`);
        else if (x.shape.join() !== into.shape.join())
          problems.push(`${key} is [${x.shape}], expected [${into.shape}]`);
        else (into.data as Float32Array).set(x.data as Float32Array);
      }
    }
    const metadata = { ...f.metadata };
    await f.close();
    const more = problems.length > 10 ? ` (and ${problems.length - 10} more)` : '';
    if (problems.length) throw new UserError(`cannot resume from ${path}: ${problems.slice(0, 10).join('; ')}${more}`);
    this.step = Number(metadata.step ?? 0);
    return metadata;
  }

  /** Release the compiled sessions. */
  async dispose(): Promise<void> {
    for (const v of this.variants.values()) await v.compiled.release();
  }
}
