/** A whole-number option (passes, members, samples) whose refusals say what is usual. */
import { z } from 'zod';

export function countOption(args: {
  what: string;
  min: number;
  max: number;
  usual: string;
  tooFew: (found: string) => string;
}) {
  return z
    .number()
    .int({ error: (issue) => `The number of ${args.what} must be a whole number (found ${String(issue.input)}).` })
    .min(args.min, { error: (issue) => args.tooFew(String(issue.input)) })
    .max(args.max, {
      error: (issue) =>
        `${String(issue.input)} ${args.what} is more than needed; use at most ${args.max.toLocaleString('en-US')} (${args.usual} is usual).`,
    });
}
