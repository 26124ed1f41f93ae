// The one error every model-file reader throws (dn.load, fit({ resumeFrom }), dn.importTfjs):
// a caller can catch it by type, and `file` names the file that is wrong.

export class ModelFileError extends Error {
  /** The file (or directory) that could not be used. */
  readonly file: string;

  /** `fn` is the entry point the message starts with ('load', 'importTfjs'). */
  constructor(file: string, what: string, fn = 'load') {
    super(`${fn}: ${file}: ${what}`);
    this.name = 'ModelFileError';
    this.file = file;
  }
}
