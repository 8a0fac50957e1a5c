// The lines `kontext chat` reads, as the reference CLI's loop has them: an instruction, or a command that sets
// what the next instructions use. Each line becomes one action; a malformed one is a UserError naming the fix.

import { UserError } from '../errors.ts';
import { MAX_CANDIDATES, MAX_RETRIES } from '../mini/config.ts';
import { intArg, numArg, seedArg } from './args.ts';

export type ChatAction =
  | { kind: 'edit'; instruction: string }
  /** null: a new random seed for every edit again */
  | { kind: 'seed'; seed: number | null }
  | { kind: 'steps'; steps: number }
  | { kind: 'guidance'; guidance: number }
  | { kind: 'candidates'; candidates: number }
  | { kind: 'retries'; retries: number }
  | { kind: 'undo' }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'nothing' };

export const CHAT_COMMANDS = `  an instruction   edit the current image; the result becomes the current image
  /s N             seed N for the next edits (/s alone: a new random seed each time again)
  /n N             denoising steps for the next edits
  /g X             guidance scale for the next edits
  /c N             best of N for the next edits (kontext-mini: N samples, the most likely kept; /c 1: one)
  /r N             sample again up to N times where the answer does not show the edit (kontext-mini; /r 0: never)
  /undo            go back to the image before the last edit (the file stays)
  /help            this list
  /q               quit (end of input does too)`;

export const GUIDANCE_RANGE = [0, 30] as const;

export function parseChatLine(raw: string): ChatAction {
  const line = raw.trim();
  if (!line) return { kind: 'nothing' };
  if (!line.startsWith('/')) return { kind: 'edit', instruction: line };
  const [cmd, ...rest] = line.split(/\s+/);
  const arg = rest.join(' ') || undefined;
  const none = (what: ChatAction) => {
    if (arg !== undefined) throw new UserError(`${cmd} takes no value, got '${arg}'`);
    return what;
  };
  const need = (usage: string) => {
    if (arg === undefined) throw new UserError(`${cmd} needs a value: ${usage}`);
    return arg;
  };
  switch (cmd) {
    case '/s':
      return { kind: 'seed', seed: arg === undefined ? null : seedArg(arg, '/s')! };
    case '/n':
      return { kind: 'steps', steps: intArg('/n', need('/n 12'), 1, 1000)! };
    case '/g':
      return { kind: 'guidance', guidance: numArg('/g', need('/g 2.5'), ...GUIDANCE_RANGE)! };
    case '/c':
      return { kind: 'candidates', candidates: intArg('/c', need('/c 4'), 1, MAX_CANDIDATES)! };
    case '/r':
      return { kind: 'retries', retries: intArg('/r', need('/r 2'), 0, MAX_RETRIES)! };
    case '/undo':
      return none({ kind: 'undo' });
    case '/help':
    case '/?':
      return none({ kind: 'help' });
    case '/q':
    case '/quit':
      return none({ kind: 'quit' });
    default:
      throw new UserError(
        `unknown command '${cmd}': use /s, /n, /g, /c, /r, /undo, /help or /q (an instruction does not start with '/')`,
      );
  }
}
