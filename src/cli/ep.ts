// `--ep cpu|webgpu|cuda`: the ONNX Runtime execution provider for a command's graphs, the same as KONTEXT_EP.
// The provider is started once, up front, on a one-node graph, so a missing driver is one clear error (naming
// what to install) before any model is loaded, not a failure per graph.

import { configureEngine, type ExecutionProvider, F, Graph, compile } from '../engine/index.ts';
import { providerUnavailable } from '../engine/providers.ts';
import { UserError } from '../errors.ts';

const PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'webgpu', 'cuda'];

export function parseExecutionProvider(v: string): ExecutionProvider {
  if (!PROVIDERS.includes(v as ExecutionProvider))
    throw new UserError(`--ep must be one of ${PROVIDERS.join(', ')}, got '${v}'`);
  return v as ExecutionProvider;
}

/**
 * Make `ep` the provider of every graph built and compiled from now on; returns a function that restores the
 * previous choice. KONTEXT_EP is set too: graph building reads it ('auto' attention avoids a kernel that is
 * wrong on the WebGPU provider, see targetsNodeWebGpu in src/engine/graph.ts).
 */
export async function useExecutionProvider(ep: ExecutionProvider): Promise<() => void> {
  const before = process.env.KONTEXT_EP;
  const restore = () => {
    if (before === undefined) delete process.env.KONTEXT_EP;
    else process.env.KONTEXT_EP = before;
    configureEngine({ executionProvider: (before as ExecutionProvider) || 'cpu' });
  };
  process.env.KONTEXT_EP = ep;
  configureEngine({ executionProvider: ep });
  try {
    await checkProvider(ep);
  } catch (err) {
    restore();
    throw err;
  }
  return restore;
}

async function checkProvider(ep: ExecutionProvider): Promise<void> {
  if (ep === 'cpu') return;
  const g = new Graph();
  g.build(() => g.output('y', F.add(g.input('x', [1]), g.input('x1', [1]))));
  try {
    const c = await compile(g, { executionProvider: ep, noCache: true });
    await c.release();
  } catch (err) {
    throw err instanceof UserError ? err : providerUnavailable(ep, (err as Error).message);
  }
}
