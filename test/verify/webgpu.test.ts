// `kontext verify --ep webgpu`: onnxruntime-node's bundled WebGPU provider (Dawn on Vulkan). Where it starts
// (a Vulkan driver, e.g. Mesa's lavapipe from bookworm-backports) every reference output must stay within 1e-4;
// where it cannot, the command fails once with one line naming what to install. The failure path is also
// forced (a Vulkan loader pointed at no driver) so it is checked on every machine.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { F, Graph } from '../../src/engine/index.ts';
import { createImage, readImage, writePng } from '../../src/image/rgb.ts';
import { providerUnavailable } from '../../src/engine/providers.ts';
import { FIXTURES, REPO } from '../fixtures-path.ts';
import { tinyModelDir } from '../mini/tiny.ts';
import { webgpuMissing } from '../webgpu-missing.ts';

const run = promisify(execFile);

// what onnxruntime-node 1.30 throws when Dawn finds no adapter (the first line of its message)
const ORT_NO_ADAPTER =
  '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 ' +
  'onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> ' +
  'adapter_result.status == wgpu::RequestAdapterStatus::Success was false. ' +
  'Failed to get a WebGPU adapter: No supported adapters\n';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('kontext verify --ep webgpu', () => {
  it("ORT's no-adapter error becomes one line that names the packages to install", () => {
    const msg = providerUnavailable('webgpu', ORT_NO_ADAPTER).message;
    expect(msg).not.toContain('\n');
    expect(msg).toMatch(
      /^execution provider 'webgpu' is not available: Failed to get a WebGPU adapter: No supported adapters\. /,
    );
    expect(msg).toContain('apt-get install -t bookworm-backports mesa-vulkan-drivers');
  });

  it("'auto' attention avoids MultiHeadAttention for the WebGPU provider, whose kernel is wrong from 32 tokens", () => {
    const ops = () => {
      const g = new Graph();
      g.build(() =>
        g.output('o', F.sdpa(g.input('q', [1, 2, 40, 48]), g.input('k', [1, 2, 40, 48]), g.input('v', [1, 2, 40, 48]))),
      );
      return g.nodes.map((n) => n.op);
    };
    vi.stubEnv('KONTEXT_ATTENTION', ''); // no override: the choice under test
    vi.stubEnv('KONTEXT_EP', '');
    expect(ops()).toContain('MultiHeadAttention');
    vi.stubEnv('KONTEXT_EP', 'webgpu');
    expect(ops()).not.toContain('MultiHeadAttention');
    expect(ops()).toContain('Softmax');
  });

  it('passes every reference output within 1e-4 where the provider starts, else fails naming the fix', {
    timeout: 600_000,
  }, async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const code = await main(['verify', '--ep', 'webgpu', '--json', FIXTURES]);
    if (code === 2) {
      webgpuMissing(
        err.mock.calls[0][0],
        /^kontext verify: execution provider 'webgpu' is not available: .*mesa-vulkan-drivers/,
      );
      return;
    }
    const report = JSON.parse(String(log.mock.calls.at(-1)?.[0]));
    expect(report.failed).toEqual([]);
    expect(report.worst).toBeLessThanOrEqual(1e-4);
    expect(report.cases.map((c: { kind: string }) => c.kind).sort()).toEqual([
      'autoencoder',
      'denoise',
      'noise',
      'schedule',
      'transformer',
      'transformer',
    ]);
    expect(code).toBe(0);
    expect(process.env.KONTEXT_EP).toBeUndefined(); // --ep is undone when the command ends
  });

  it('without a Vulkan driver the command stops up front with that one line (exit 2)', async () => {
    const bin = join(REPO, 'bin/kontext.mjs');
    const env = { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' };
    const r = await run(process.execPath, [bin, 'verify', '--ep', 'webgpu', FIXTURES], { env }).then(
      () => ({ code: 0, stderr: '', stdout: '' }),
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(''); // nothing verified before the check
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('kontext verify:')); // Dawn's own warnings come first
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(
      /execution provider 'webgpu' is not available: .*install a Vulkan driver.*or use the cpu provider\.$/,
    );
  });

  it('--ep must name a provider, for every command', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main(['verify', '--ep', 'metal', FIXTURES])).toBe(2);
    expect(err.mock.calls[0][0]).toBe("kontext verify: --ep must be one of cpu, webgpu, cuda, got 'metal'");
    expect(await main(['models', '--ep=metal'])).toBe(2);
    expect(err.mock.calls[1][0]).toBe("kontext models: --ep must be one of cpu, webgpu, cuda, got 'metal'");
    expect(await main(['edit', 'in.png', 'make it blue', '--ep'])).toBe(2);
    expect(err.mock.calls[2][0]).toBe('kontext edit: --ep needs a value: cpu, webgpu or cuda');
  });
});

describe('kontext edit --ep webgpu', () => {
  it('edits with the embedded-model code on the WebGPU provider, giving the CPU image', {
    timeout: 300_000,
  }, async () => {
    const model = await tinyModelDir();
    const root = await mkdtemp(join(tmpdir(), 'kontext-ep-'));
    try {
      await writePng(createImage(32, 32, [30, 90, 200]), join(root, 'in.png'));
      vi.spyOn(console, 'log').mockImplementation(() => {});
      const err = vi.spyOn(console, 'error').mockImplementation(() => {});
      const edit = (ep: string, out: string) =>
        main([
          'edit',
          join(root, 'in.png'),
          'make the circle red',
          '--model',
          model,
          '--seed',
          '2',
          '--quiet',
          '--out',
          join(root, out),
          '--ep',
          ep,
        ]);
      expect(await edit('cpu', 'cpu.png')).toBe(0);
      const code = await edit('webgpu', 'gpu.png');
      if (code === 2) {
        webgpuMissing(err.mock.calls.at(-1)?.[0], /^kontext edit: execution provider 'webgpu' is not available/);
        return;
      }
      expect(code).toBe(0);
      const [a, b] = [await readImage(join(root, 'cpu.png')), await readImage(join(root, 'gpu.png'))];
      let worst = 0;
      for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
      expect(worst).toBeLessThanOrEqual(1); // 8-bit pixels: at most one level of rounding apart
      expect(process.env.KONTEXT_EP).toBeUndefined();
    } finally {
      await rm(root, { recursive: true, force: true });
      await rm(dirname(model), { recursive: true, force: true });
    }
  });
});
