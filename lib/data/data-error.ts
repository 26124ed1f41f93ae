// Data that cannot be used as it is (a cell, a column, a file): one line that
// names where. The CLI exits 1 on it; the API throws it as is.

/** A data or model file that cannot be used, with a message naming the file, row or column. */
export class DataError extends Error {
  override name = 'DataError';
}
