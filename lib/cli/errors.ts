// The CLI's two kinds of failure, which set the exit code: a usage error (2:
// bad flags or arguments) and a data error (1: the files are wrong). Both
// print as one line; anything else is a bug and shows its stack with --verbose.

/** Bad command-line usage: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A data or model file that cannot be used: exit code 1, one line naming the file. */
export { DataError } from '../data/data-error.js';
