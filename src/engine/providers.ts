// Execution providers that may be missing on a machine (cuda, webgpu): the one-line error that says what to
// install. ONNX Runtime's own message spans lines and starts with a C++ source path and a lambda signature;
// only its reason is kept.

import { UserError } from '../errors.ts';

const FIX: Record<string, string> = {
  cuda:
    'Install the CUDA add-on with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` on a machine with ' +
    'internet and CUDA 12, or use the cpu provider.',
  webgpu:
    "ONNX Runtime's WebGPU provider runs on Vulkan: install a Vulkan driver (without a GPU, Mesa's lavapipe 23 or " +
    'newer: on Debian 12 `apt-get install libvulkan1` and, with bookworm-backports in the apt sources, ' +
    "`apt-get install -t bookworm-backports mesa-vulkan-drivers`; bookworm's own Mesa 22.3 is refused), " +
    'or use the cpu provider.',
};

/** The error for a provider that ORT could not start, from ORT's message. */
export function providerUnavailable(ep: string, ortMessage: string): UserError {
  const reason = ortMessage
    .split('\n')[0]
    .replace(/^.*? was false\. /, '') // "<file>:<line> <function> <condition> was false. <reason>"
    .replace(/^\/\S+:\d+ /, '')
    .trim()
    .replace(/\.$/, '');
  return new UserError(`execution provider '${ep}' is not available: ${reason}. ${FIX[ep] ?? 'Use the cpu provider.'}`);
}
