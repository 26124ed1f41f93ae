// JSON text from an untrusted file, parsed only after a linear scan has checked its syntax and
// its nesting depth: a syntax error is reported by position without quoting the file (which may
// be /etc/passwd behind a link), and no value deeper than MAX_JSON_DEPTH reaches code that walks
// it recursively (JSON.stringify, the validators).
import { ModelFileError } from './model-file-error.js';

/** Arrays and objects nested deeper than this are refused (a model file needs about 10). */
export const MAX_JSON_DEPTH = 100;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES = '"\\/bfnrtu';

/** The first syntax error of `text` as JSON (its character position and what is wrong), or null. */
export function jsonSyntaxError(text: string, maxDepth = MAX_JSON_DEPTH): { position: number; problem: string } | null {
  const n = text.length;
  const stack: ('[' | '{')[] = [];
  let i = 0;
  const skipSpace = () => {
    for (let c = text.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++i));
  };
  // A string starting at i; false at the character that breaks it.
  const string = (): boolean => {
    for (i++; i < n; ) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return true;
      }
      if (c < 32) return false;
      if (c !== 92) {
        i++;
        continue;
      }
      const e = text[i + 1];
      if (e === undefined || !ESCAPES.includes(e)) return false;
      if (e === 'u' && !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
      i += e === 'u' ? 6 : 2;
    }
    return false;
  };
  const key = (): boolean => {
    if (text[i] !== '"' || !string()) return false;
    skipSpace();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  const fail = (problem: string) => ({ position: i, problem: i >= n ? 'it ends early' : problem });
  let expectValue = true;
  for (;;) {
    skipSpace();
    if (expectValue) {
      const c = text[i];
      if (c === '[' || c === '{') {
        if (stack.length >= maxDepth) return fail(`arrays or objects nested deeper than ${maxDepth} levels`);
        stack.push(c);
        i++;
        skipSpace();
        if (text[i] === (c === '[' ? ']' : '}')) {
          i++;
          stack.pop();
          expectValue = false;
        } else if (c === '{' && !key()) return fail('expected a property name in double quotes');
        continue;
      }
      if (c === '"') {
        if (!string()) return fail('a string with a control character or a bad escape');
      } else if (c === 't' || c === 'f' || c === 'n') {
        const word = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
        if (!text.startsWith(word, i)) return fail('an unexpected character');
        i += word.length;
      } else {
        NUMBER.lastIndex = i;
        if (!NUMBER.test(text)) return fail('an unexpected character');
        i = NUMBER.lastIndex;
      }
      expectValue = false;
      continue;
    }
    const top = stack.at(-1);
    if (top === undefined) return i < n ? fail('more text after the end of the JSON value') : null;
    const close = top === '[' ? ']' : '}';
    if (text[i] === ',') {
      i++;
      skipSpace();
      if (top === '{' && !key()) return fail('expected a property name in double quotes');
      expectValue = true;
    } else if (text[i] === close) {
      i++;
      stack.pop();
    } else return fail(`expected ',' or '${close}'`);
  }
}

/** Parses a model file's JSON text; any problem is a ModelFileError naming `file` and the position, never quoting it. */
export function parseJsonText(text: string, file: string, fn: string): unknown {
  const error = jsonSyntaxError(text);
  if (error !== null) throw new ModelFileError(file, `not valid JSON at position ${error.position} (${error.problem})`, fn);
  try {
    return JSON.parse(text);
  } catch (e) {
    // The scan accepts only valid JSON, so this is a disagreement with V8: report it without V8's excerpt of the text.
    const at = /at position (\d+)/.exec((e as Error).message)?.[1];
    throw new ModelFileError(file, `not valid JSON${at === undefined ? '' : ` at position ${at}`}`, fn);
  }
}
