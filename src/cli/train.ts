// `kontext train ae|flow --config FILE --out DIR`: train the parts of the embedded model (src/train). A run
// resumes from its folder's last checkpoint; Ctrl-C saves one and exits.

import { UserError } from '../errors.ts';
import type { PreserveOptions } from '../mini/preserve.ts';
import { readConfig } from '../train/config.ts';
import { parseCommand } from './args.ts';
import type { Command } from './main.ts';

const HELP = `usage: kontext train ae|flow --config <json> --out <dir> [--max-steps N]
       kontext train export <model dir> --out <dir> [--ae <file>] [--preserve <json>]
           a run's model/ as f16, for shipping; --ae swaps in another autoencoder with the same encoder (a
           decoder-only run's ae.safetensors); --preserve sets the output step of its config.json
           (sampling.preserve, e.g. '{"threshold":32,"grow":1,"colorMap":0.9}'; 'off' removes it)

  ae      the autoencoder (configs/ae-mini.json)
  flow    the flow transformer and its text encoder (configs/flow-mini.json; needs a trained AE, named in the config)
  --config      training configuration (JSON; see configs/; "extends": "base.json" gives only what differs)
  --out         run folder: checkpoints, log.jsonl, curves.png/html, the exported model; an existing run resumes
  --max-steps N stop after N steps in this process (the schedule still runs to the config's steps)
  --quiet       no progress line

Ctrl-C finishes the current step, saves a checkpoint and exits; run the same command again to resume.`;

/** The output-step setting `--preserve` names: a JSON object preserve.ts accepts, or 'off'. */
async function exportPreserve(text: string): Promise<PreserveOptions | undefined> {
  if (text === 'off') return undefined;
  const { preserveProblem } = await import('../mini/preserve.ts');
  let o: PreserveOptions;
  try {
    o = JSON.parse(text);
  } catch {
    throw new UserError(`--preserve must be JSON such as '{"threshold":32,"grow":1}' or 'off', got ${text}`);
  }
  const problem = preserveProblem(o);
  if (problem) throw new UserError(`--preserve: ${problem}`);
  return o;
}

const command: Command = {
  async run(argv) {
    const parsed = parseCommand(argv, HELP, {
      config: { type: 'string' },
      out: { type: 'string' },
      ae: { type: 'string' },
      preserve: { type: 'string' },
      'max-steps': { type: 'string' },
      quiet: { type: 'boolean' },
    });
    if (!parsed) return 0;
    const { values: v, positionals } = parsed;
    const what = positionals[0];
    if (what === 'export') {
      if (!positionals[1] || !v.out)
        throw new UserError(`usage: kontext train export <model dir> --out <dir> [--ae <file>] [--preserve <json>]`);
      const { loadMini, loadMiniAe, saveMini } = await import('../mini/load.ts');
      const { MiniPipeline } = await import('../mini/pipeline.ts');
      let pipe = await loadMini(positionals[1]);
      if (v.ae) {
        const ae = await loadMiniAe(v.ae);
        // the latent space must be the model's; the decoder alone may differ (a wider one: decoder_ch)
        const space = ({ decoder_ch: _, ...p }: typeof ae.params) => JSON.stringify(p);
        if (space(ae.params) !== space(pipe.ae.params))
          throw new UserError(
            `${v.ae} is not the model's latent space: its encoder configuration or latent scale/shift differ from ` +
              `those of ${positionals[1]}'s autoencoder (only the decoder may change, e.g. decoder_ch)`,
          );
        pipe = new MiniPipeline(pipe.model, ae, pipe.tokenizer);
      }
      if (v.preserve !== undefined) pipe.model.config.sampling.preserve = await exportPreserve(v.preserve);
      await saveMini(v.out, pipe, { dtype: 'float16' });
      console.error(`wrote ${v.out} (f16)`);
      return 0;
    }
    if (what !== 'ae' && what !== 'flow')
      throw new UserError(
        `say what to train: kontext train ae|flow --config <json> --out <dir> (or kontext train export); ` +
          `see 'kontext train --help'`,
      );
    if (!v.config || !v.out)
      throw new UserError(
        `--config and --out are required: kontext train ${what} --config <json> --out <dir>; ` +
          `see 'kontext train --help'`,
      );
    const cfg = readConfig(v.config);
    if (cfg.kind !== what) throw new UserError(`${v.config} is a '${cfg.kind}' config, not '${what}'`);
    const maxSteps = v['max-steps'] === undefined ? undefined : Number(v['max-steps']);
    if (maxSteps !== undefined && !(Number.isInteger(maxSteps) && maxSteps > 0))
      throw new UserError(`--max-steps must be a positive integer, got '${v['max-steps']}'`);
    const o = { maxSteps, quiet: v.quiet };
    const r =
      what === 'ae'
        ? await (await import('../train/train-ae.ts')).trainAe(cfg as never, v.out, o)
        : await (await import('../train/train-flow.ts')).trainFlow(cfg as never, v.out, o);
    console.error(`${r.interrupted ? 'stopped' : 'finished'} at step ${r.step}; run folder ${v.out}`);
    return 0;
  },
};

export default command;
