// The entry of the browser bundle used by the parity page (test/browser): puts the engine's verify runner and
// settings on `globalThis.kontext`, for a test (or a person at the console) to call.

import { configureEngine, setWasmPaths } from './session.ts';
import { verifyCases } from './verify.ts';

type Gpu = { requestAdapter(): Promise<{ info?: Record<string, string> } | null> };

/** What WebGPU this page has: navigator.gpu, and an adapter's description when one is granted. */
async function webgpu(): Promise<{ present: boolean; adapter: string | null }> {
  const gpu = (navigator as { gpu?: Gpu }).gpu;
  if (!gpu) return { present: false, adapter: null };
  const a = await gpu.requestAdapter().catch(() => null);
  const info = a?.info;
  const name = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ');
  return { present: true, adapter: a ? name || 'unnamed' : null };
}

(globalThis as Record<string, unknown>).kontext = { verifyCases, configureEngine, setWasmPaths, webgpu };
