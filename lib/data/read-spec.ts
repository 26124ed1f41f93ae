// A saved column spec read back from untrusted JSON: every field typed and
// bounded, the feature names recomputed from the columns and compared, so a
// file can only hold a spec that fitting could have made.
import { choiceList, invalidType } from '../errors.js';
import { JsonReader } from '../io/json-read.js';
import {
  type ColumnSpec,
  columnFeatures,
  type DateFormat,
  type DropReason,
  TABULAR_VERSION,
  type TabularSpec,
  type TargetSpec,
} from './spec.js';

const BIG = Number.MAX_VALUE;
const DROP_REASONS: DropReason[] = ['ignored', 'id', 'text', 'constant', 'empty'];
const DATE_FORMATS: DateFormat[] = ['ymd', 'dmy', 'mdy'];

function oneOf<T extends string>(r: JsonReader, choices: readonly T[]): T {
  const v = r.string();
  if (!(choices as readonly string[]).includes(v)) throw r.fail(choiceList(choices));
  return v as T;
}

function column(r: JsonReader): ColumnSpec {
  const name = r.at('name').string();
  const kind = oneOf(r.at('kind'), ['numeric', 'categorical', 'date', 'dropped'] as const);
  switch (kind) {
    case 'numeric':
      return {
        name,
        kind,
        median: r.at('median').number(-BIG, BIG),
        mean: r.at('mean').number(-BIG, BIG),
        std: r.at('std').number(Number.MIN_VALUE, BIG),
        log: r.at('log').boolean(false),
        clip: r.at('clip').number(Number.MIN_VALUE, BIG, BIG),
        indicator: r.at('indicator').boolean(false),
        decimalComma: r.at('decimalComma').boolean(false),
        extraMissing: r.at('extraMissing').isMissing ? [] : r.at('extraMissing').strings(),
      };
    case 'categorical': {
      const levels = r.at('levels').strings();
      if (new Set(levels).size !== levels.length) throw r.at('levels').fail('distinct levels');
      return { name, kind, levels, missing: r.at('missing').boolean(false) };
    }
    case 'date':
      return {
        name,
        kind,
        format: oneOf(r.at('format'), DATE_FORMATS),
        median: r.at('median').number(-1e8, 1e8),
        yearMean: r.at('yearMean').number(-1e6, 1e6),
        yearStd: r.at('yearStd').number(Number.MIN_VALUE, 1e6),
        indicator: r.at('indicator').boolean(false),
      };
    case 'dropped':
      return { name, kind, reason: oneOf(r.at('reason'), DROP_REASONS) };
  }
}

function target(r: JsonReader): TargetSpec | null {
  if (r.isMissing) return null;
  const name = r.at('name').string();
  const kind = oneOf(r.at('kind'), ['classes', 'values'] as const);
  if (kind === 'values') return { name, kind, mean: r.at('mean').number(-BIG, BIG), std: r.at('std').number(Number.MIN_VALUE, BIG) };
  const classes = r.at('classes').strings();
  if (classes.length < 2 || new Set(classes).size !== classes.length) throw r.at('classes').fail('two or more distinct class names');
  return { name, kind, classes };
}

/** Rebuilds a spec from JSON; `where` prefixes errors. Throws an Error naming the path of a bad field. */
export function readTabularSpec(value: unknown, where: string, path: string): TabularSpec {
  const r = new JsonReader(where, value, path);
  const version = r.at('version').integer(1, 1000);
  if (version > TABULAR_VERSION)
    throw new Error(`${where}: ${path}.version is ${version}; this densenode reads up to ${TABULAR_VERSION} (upgrade densenode)`);
  const columns = r.at('columns').items().map(column);
  const names = columns.map((c) => c.name);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) throw new Error(`${where}: ${path}.columns names '${repeated}' twice`);
  const spec: TabularSpec = {
    version: TABULAR_VERSION,
    na: r.at('na').strings(),
    columns,
    target: target(r.at('target')),
    features: r.at('features').strings(),
  };
  const expected = columns.flatMap(columnFeatures);
  if (expected.length !== spec.features.length || expected.some((f, i) => f !== spec.features[i]))
    throw new Error(`${where}: ${path}.features does not match its columns (expected ${expected.length} features)`);
  if (spec.target !== null && names.includes(spec.target.name))
    throw new Error(`${where}: ${path}.target '${spec.target.name}' is also a column`);
  return spec;
}

/** Checks an argument that must be a fitted spec: a TypeError naming `fn` and `name` and the bad field. */
export function checkSpec(value: unknown, fn: string, name: string): asserts value is TabularSpec {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidType(fn, name, 'a tabular spec (dn.tabular(records).spec or model.preprocessing.tabular)', value);
  try {
    readTabularSpec(value, fn, name);
  } catch (error) {
    throw new TypeError((error as Error).message);
  }
}
