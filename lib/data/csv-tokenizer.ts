// CSV text to fields, chunk by chunk (RFC 4180): fields split by one delimiter character, records
// by \n, \r\n or \r; a field in double quotes may hold delimiters, line breaks and "" for a quote.
// Unquoted fields are trimmed of spaces and tabs, and space around a quoted field is allowed; a
// quote inside an unquoted field is kept as text (5'10"). Blank lines are skipped. Each record
// comes with the file line it starts on. A record longer than `maxRecordChars` is an error, so a
// file without line breaks is not gathered into one string. Written for speed over the general
// parser it replaced (see docs/decisions.md): one pass of charCodeAt, a slice per field.
import { DataError } from './data-error.js';

const QUOTE = 34;
const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;

export interface TokenizedRows {
  /** Each record's fields. */
  records: string[][];
  /** The 1-based file line each record starts on. */
  lines: number[];
}

// A tab is a blank unless it is the delimiter.
let tabIsBlank = true;
const isBlank = (c: number) => c === SPACE || (c === TAB && tabIsBlank);

// V8 makes a substring of 13 or more characters a view that keeps the whole chunk alive: one such
// cell kept (a level, a sample) would hold a megabyte. Concatenating and slicing makes it its own
// string (measured: 300 kept 20-character cells held 364 MB as views, 3.8 MB as copies).
const own = (s: string) => (s.length < 13 ? s : `${s} `.slice(0, -1));

/** text[from, to) without leading and trailing blanks, as a string of its own. */
function trimmed(text: string, from: number, to: number): string {
  while (from < to && isBlank(text.charCodeAt(from))) from++;
  while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
  return own(text.slice(from, to));
}

export class CsvTokenizer {
  private readonly delimiter: number;
  // Text of a record not yet complete, carried to the next chunk.
  private pending = '';
  // The line the pending text starts on.
  private line = 1;
  private first = true;

  constructor(
    delimiter: string,
    private readonly file: string,
    private readonly maxRecordChars: number,
  ) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  /** The complete records in `chunk` (with what earlier chunks left). */
  push(chunk: string): TokenizedRows {
    let text = this.pending + chunk;
    if (this.first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.first = false;
    return this.scan(text, false);
  }

  /** The last record, when the file does not end with a line break. */
  end(): TokenizedRows {
    return this.scan(this.pending, true);
  }

  private scan(text: string, final: boolean): TokenizedRows {
    const records: string[][] = [];
    const lines: number[] = [];
    const n = text.length;
    const d = this.delimiter;
    tabIsBlank = d !== TAB;
    let i = 0;
    let line = this.line;
    // The next quote and carriage return, found once and reused until passed: a line before both
    // takes the fast path (indexOf for each delimiter).
    let quote = -1;
    let cr = -1;
    const delimiter = String.fromCharCode(d);
    // One record per iteration; `start` and `startLine` are where it began, for the carry-over.
    record: while (i < n) {
      const start = i;
      const startLine = line;
      if (quote < i) {
        quote = text.indexOf('"', i);
        if (quote === -1) quote = n;
      }
      if (cr < i) {
        cr = text.indexOf('\r', i);
        if (cr === -1) cr = n;
      }
      const lf = text.indexOf('\n', i);
      // \r\n ends the line as \n does.
      const end = cr === lf - 1 ? cr : lf;
      if (lf > i && lf < quote && (cr > lf || cr === lf - 1) && end > i) {
        const fields: string[] = [];
        let from = i;
        for (;;) {
          const at = text.indexOf(delimiter, from);
          const to = at === -1 || at > end ? end : at;
          fields.push(trimmed(text, from, to));
          if (to === end) break;
          from = to + 1;
        }
        i = lf + 1;
        line++;
        if (fields.length === 1 && fields[0] === '') continue;
        records.push(fields);
        lines.push(startLine);
        continue;
      }
      const c0 = text.charCodeAt(i);
      if (c0 === LF || c0 === CR) {
        // A blank line.
        i += c0 === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
        if (c0 === CR && i === n && !final) {
          i = start;
          break;
        }
        line++;
        continue;
      }
      const fields: string[] = [];
      for (;;) {
        // One field from i.
        let j = i;
        while (j < n && isBlank(text.charCodeAt(j))) j++;
        if (j < n && text.charCodeAt(j) === QUOTE) {
          let value = '';
          let from = j + 1;
          for (;;) {
            const q = text.indexOf('"', from);
            if (q < 0) {
              if (final) throw new DataError(`${this.file}: line ${startLine}: a quoted field is never closed`);
              i = start;
              line = startLine;
              break record;
            }
            for (let k = from; k < q; k++)
              if (text.charCodeAt(k) === LF || (text.charCodeAt(k) === CR && text.charCodeAt(k + 1) !== LF)) line++;
            if (q + 1 >= n && !final) {
              i = start;
              line = startLine;
              break record;
            }
            if (text.charCodeAt(q + 1) === QUOTE) {
              value += text.slice(from, q + 1);
              from = q + 2;
              continue;
            }
            value += text.slice(from, q);
            j = q + 1;
            break;
          }
          while (j < n && isBlank(text.charCodeAt(j))) j++;
          const c = j < n ? text.charCodeAt(j) : -1;
          if (c !== d && c !== LF && c !== CR && c !== -1)
            throw new DataError(`${this.file}: line ${line}: text after the closing quote of field ${fields.length + 1}`);
          fields.push(own(value));
        } else {
          let k = j;
          let c = -1;
          while (k < n) {
            c = text.charCodeAt(k);
            if (c === d || c === LF || c === CR) break;
            k++;
          }
          if (k === n) c = -1;
          fields.push(trimmed(text, j, k));
          j = k;
        }
        // j is at the delimiter, a line break or the end of the text.
        if (j >= n) {
          if (!final) {
            i = start;
            line = startLine;
            break record;
          }
          i = n;
          break;
        }
        const c = text.charCodeAt(j);
        if (c === d) {
          i = j + 1;
          continue;
        }
        if (c === CR && j + 1 >= n && !final) {
          i = start;
          line = startLine;
          break record;
        }
        i = j + (c === CR && text.charCodeAt(j + 1) === LF ? 2 : 1);
        line++;
        break;
      }
      // A line of blanks is a blank line too.
      if (fields.length === 1 && fields[0] === '') continue;
      records.push(fields);
      lines.push(startLine);
    }
    this.pending = text.slice(i);
    this.line = line;
    if (this.pending.length > this.maxRecordChars)
      throw new DataError(
        `${this.file}: line ${line}: a record longer than ${this.maxRecordChars >> 20} MB (is this a CSV with line breaks?)`,
      );
    return { records, lines };
  }
}
