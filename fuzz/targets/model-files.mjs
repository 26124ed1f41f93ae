// Targets "load" and "tfjs": each input is a model directory: a seed with edits to it (an input
// that starts with EDITS, fuzz/targets/json-edits.mjs), or the files themselves. Those, split
// at SEPARATOR, are model.json and then the binary files it names (load: the weights file; tfjs: the shards, in
// the order the weights manifest lists them). Written to a fresh directory, then read by
// dn.load / dn.importTfjs. The outcome must be a ModelFileError naming a file of the directory,
// or a model that predicts, saves, and loads back. For load the harness rewrites a 64-hex
// sha256 in model.json to the weights' real hash (the checksum would otherwise stop every
// mutation of the weights at once: its refusal has its own regression tests).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyEdits, EDITS } from './json-edits.mjs';

/** Between the files of one input (also in fuzz/dict/model-files.dict). */
export const SEPARATOR = Buffer.from('\n\x00\x00FILE\x00\x00\n');
const SAFE_NAME = /^[\w.-]{1,80}$/;

/** An input's parts: model.json, then the binary files. */
export function splitParts(bytes) {
  const parts = [];
  let from = 0;
  for (;;) {
    const at = bytes.indexOf(SEPARATOR, from);
    if (at < 0 || parts.length === 7) break;
    parts.push(bytes.subarray(from, at));
    from = at + SEPARATOR.length;
  }
  parts.push(bytes.subarray(from));
  return parts;
}

/** One input as it would be encoded: model.json and binary files joined by SEPARATOR (for seeds). */
export function joinParts(parts) {
  return Buffer.concat(parts.flatMap((part, i) => (i === 0 ? [part] : [SEPARATOR, part])));
}

function parsed(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// The binary files' names as model.json gives them (only plain names inside the directory are
// created: a name with a slash or '..' must be refused by the reader, and is left missing).
function binaryNames(target, json) {
  if (target === 'load') return [json?.weights?.file];
  const groups = Array.isArray(json?.weightsManifest) ? json.weightsManifest : [];
  return groups.flatMap((group) => (Array.isArray(group?.paths) ? group.paths : []));
}

// model.json's text and the binary files of an input: its parts as they are, or a seed with edits.
function files(bytes, seeds) {
  if (bytes[0] === EDITS && seeds.length > 0) return applyEdits(bytes, seeds);
  const [manifest, ...binaries] = splitParts(bytes);
  return { text: Buffer.from(manifest).toString('latin1'), binaries };
}

function writeDirectory(target, dir, bytes, seeds) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { binaries, ...rest } = files(bytes, seeds);
  let { text } = rest;
  const json = parsed(text);
  if (target === 'load' && binaries.length > 0) {
    const sha = createHash('sha256').update(binaries[0]).digest('hex');
    text = text.replace(/("sha256"\s*:\s*")[0-9a-f]{64}"/, `$1${sha}"`);
  }
  writeFileSync(join(dir, 'model.json'), Buffer.from(text, 'latin1'));
  binaryNames(target, json).forEach((name, i) => {
    if (typeof name === 'string' && SAFE_NAME.test(name) && name !== 'model.json' && i < binaries.length) {
      writeFileSync(join(dir, name), binaries[i]);
    }
  });
}

/** dn.load or dn.importTfjs on each input's directory; resolves if the outcome is allowed. */
export function modelFileTarget(dn, target, work) {
  const dir = join(work, 'model');
  const again = join(work, 'saved');
  const read = target === 'load' ? (d) => dn.load(d) : (d) => dn.importTfjs(d);
  const fn = target === 'load' ? 'load' : 'importTfjs';
  const seedDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'seeds', target);
  const seeds = readdirSync(seedDir)
    .sort()
    .map((name) => readFileSync(join(seedDir, name)))
    .filter((seed) => seed[0] !== EDITS)
    .map((seed) => splitParts(seed).map((part, i) => (i === 0 ? part.toString('utf8') : part)));
  return async (bytes) => {
    writeDirectory(target, dir, bytes, seeds);
    let model;
    try {
      model = await read(dir);
    } catch (error) {
      if (error instanceof dn.ModelFileError && error.message.startsWith(`${fn}: ${dir}`) && error.file.startsWith(dir)) return;
      throw new Error(`${fn} rejected with ${error?.constructor?.name ?? typeof error}: ${String(error?.message ?? error)}`);
    }
    // What loads must work: predict a row, save, and load back.
    if (model.inputs <= 4096) model.predict([new Array(model.inputs).fill(0)]);
    rmSync(again, { recursive: true, force: true });
    await model.save(again);
    await dn.load(again);
  };
}
