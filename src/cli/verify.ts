// `kontext verify <dir>`: reference parity on a fixture folder (see src/verify/fixtures.ts).

import { UserError } from '../errors.ts';
import { type CaseResult, verifyFolder } from '../verify/fixtures.ts';
import { parseCommand } from './args.ts';
import type { Command } from './main.ts';

const HELP = `usage: kontext verify <fixture-dir> [--tolerance 1e-4] [--ep cpu|webgpu|cuda] [--json]

Runs every reference case in <fixture-dir> (laid out like shared/fixtures/flux-reference: <case>.json,
<case>.weights.safetensors, <case>.io.safetensors; transformer, denoise and autoencoder cases, plus noise.json and
schedules.json; or like shared/fixtures/text-encoders: CLIP and T5 encoder cases, CLIP tokenizer golden ids,
full-size key/shape lists) and prints each output's max relative error max|ours - ref| / max|ref| (for token ids:
the fraction that differ). Exits 1 if any error exceeds the tolerance or a case is missing or incomplete.

--ep (an option of every command) runs the graphs on another ONNX Runtime execution provider (as KONTEXT_EP
does); a provider that cannot start (webgpu without a Vulkan driver, cuda without the add-on) is one error that
names what to install.`;

const command: Command = {
  async run(argv) {
    const parsed = parseCommand(argv, HELP, {
      tolerance: { type: 'string', default: '1e-4' },
      json: { type: 'boolean', default: false },
    });
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    if (positionals.length !== 1)
      throw new UserError(
        `expected one fixture folder, got ${positionals.length}: kontext verify <fixture-dir>; ` +
          `see 'kontext verify --help'`,
      );
    const tol = Number(values.tolerance);
    if (!(tol > 0)) throw new UserError(`--tolerance must be a positive number, got '${values.tolerance}'`);
    let worst = 0;
    const print = (r: CaseResult) => {
      for (const o of r.outputs) {
        worst = Math.max(worst, o.relErr);
        const note = o.note && !(o.relErr <= tol) ? `  (${o.note})` : '';
        if (!values.json)
          console.log(
            `${o.relErr <= tol ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(22)} ${r.kind.padEnd(12)} ${o.name.padEnd(26)} ` +
              `${o.relErr.toExponential(2)}${note}`,
          );
      }
    };
    const results = await verifyFolder(positionals[0], print);
    const failed = results.flatMap((r) =>
      r.outputs.filter((o) => !(o.relErr <= tol)).map((o) => `${r.name}:${o.name}`),
    );
    if (values.json) console.log(JSON.stringify({ tolerance: tol, worst, failed, cases: results }));
    else
      console.log(
        `\n${results.length} cases, ${results.reduce((s, r) => s + r.outputs.length, 0)} outputs, ` +
          `worst ${worst.toExponential(2)} (tolerance ${tol}): ${failed.length ? `${failed.length} FAILED` : 'all ok'}`,
      );
    return failed.length ? 1 : 0;
  },
};

export default command;
