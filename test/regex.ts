// A long expected message as a regular expression written in parts, one per line, so no source line is too long.

/** The parts' patterns in order, as one regular expression; each part is a whole pattern (no group spans two). */
export function joinRegExp(...parts: RegExp[]): RegExp {
  return new RegExp(parts.map((p) => p.source).join(''));
}
