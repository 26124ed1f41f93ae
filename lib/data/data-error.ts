// Data that cannot be used as it is (a cell, a column, a file): one line that
// names where. The CLI exits 1 on it; the API throws it as is.

/** A data or model file that cannot be used, with a message naming the file, row or column. */
export class DataError extends Error {
  override name = 'DataError';
}

/** A file system error as a DataError naming the file (anything else passes through); `kind` says what was expected. */
export function fileError(file: string, error: unknown, kind: string): Error {
  if (error instanceof DataError) return error;
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return new DataError(`${file}: no such file`);
  if (e.code === 'EISDIR') return new DataError(`${file}: is a directory, expected a ${kind} file`);
  if (e.code === 'EACCES') return new DataError(`${file}: permission denied`);
  return error as Error;
}
