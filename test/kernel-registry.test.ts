// The kernel registry (lib/backend/signatures.ts) is complete everywhere: the type system holds
// the TypeScript lists to it (the @ts-expect-error lines below fail `tsc` if a list stops being
// checked), and at run time the addon's exports and argument counts must match the table.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../lib/backend/backend.js';
import { jsBackend } from '../lib/backend/js/index.js';
import { type Checks, kernelChecks } from '../lib/backend/kernel-checks.js';
import {
  type BindingName,
  bindingSignatures,
  type CheckedName,
  checkedSignatures,
  kernelNames,
  type Signature,
} from '../lib/backend/signatures.js';
import { kernels, setThreads } from '../lib/index.js';
import { binding, native } from './helpers/backends.js';

type Fn = (...args: unknown[]) => unknown;
const sorted = (names: Iterable<string>) => [...names].sort();
const backendKeys = sorted([...kernelNames, 'name', 'info', 'setThreads', 'packs']);

describe('the TypeScript lists are held to the registry by the type system', () => {
  it('a backend, a check list or a signature table missing a kernel, or with an extra one, does not compile', () => {
    const { axpy: _axpy, ...withoutAxpy } = jsBackend;
    // @ts-expect-error a backend without one kernel is not a Backend
    const missing: Backend = withoutAxpy;
    // @ts-expect-error nor is one with a kernel the contract does not have
    const extra: Backend = { ...jsBackend, axpby: () => {} };
    const { axpy: _check, ...fewerChecks } = kernelChecks;
    // @ts-expect-error every kernel needs its check
    const checks: Checks = fewerChecks;
    const { axpy: _signature, ...fewerSignatures } = checkedSignatures;
    // @ts-expect-error every kernel needs its signature
    const signatures: { readonly [K in CheckedName]: Signature } = fewerSignatures;
    const { info: _info, ...fewerExports } = bindingSignatures;
    // @ts-expect-error every export of the addon needs its signature
    const exports: { readonly [K in BindingName]: Signature } = fewerExports;
    expect([missing, extra, checks, signatures, exports].every((x) => typeof x === 'object')).toBe(true);
  });
});

describe('every list has exactly the registry’s kernels at run time', () => {
  it('the addon exports exactly the binding table’s names', () => {
    expect(sorted(Object.keys(binding))).toEqual(sorted(Object.keys(bindingSignatures)));
  });

  it('both backends, the checks and the public kernels have exactly the kernel table’s names', () => {
    expect(sorted(Object.keys(jsBackend))).toEqual(backendKeys);
    expect(sorted(Object.keys(native))).toEqual(backendKeys);
    expect(sorted(Object.keys(kernelChecks))).toEqual(sorted(Object.keys(checkedSignatures)));
    expect(Object.keys(kernels)).toEqual(kernelNames);
  });

  it('the kernel table shares every signature with the binding table except gemm’s epilogue', () => {
    for (const name of Object.keys(checkedSignatures) as CheckedName[]) {
      if (name === 'gemm') continue;
      expect(checkedSignatures[name], name).toEqual(bindingSignatures[name]);
    }
    expect(bindingSignatures.gemm.params.slice(0, 13)).toEqual(checkedSignatures.gemm.params.slice(0, 13));
  });
});

describe('the binding and the TypeScript checks agree with the table', () => {
  it('each check declares every parameter of its signature', () => {
    for (const [name, check] of Object.entries(kernelChecks)) {
      expect((check as Fn).length, name).toBe(checkedSignatures[name as CheckedName].params.length);
    }
  });

  it('the addon and the public kernels accept exactly the argument counts in the table', () => {
    const tooMany = Array.from({ length: 40 }, () => 0);
    const expectArity = (name: string, fn: Fn, arity: readonly number[]) =>
      expect(() => fn(...tooMany), name).toThrow(
        new TypeError(`${name}: expected ${arity.join(' or ')} arguments, received ${tooMany.length}`),
      );
    for (const [name, s] of Object.entries(bindingSignatures)) expectArity(name, binding[name as BindingName] as Fn, s.arity);
    for (const name of kernelNames) expectArity(name, kernels[name] as Fn, checkedSignatures[name].arity);
    expectArity('setThreads', setThreads as Fn, checkedSignatures.setThreads.arity);
  });

  // A symbol is wrong for every parameter, so each side blames the first one, by its table name.
  it('the addon and the checks name the first parameter as the table does', () => {
    for (const [name, s] of Object.entries(bindingSignatures)) {
      const first = s.params[0];
      if (!first) continue;
      const args = s.params.map(() => Symbol('wrong'));
      expect(() => (binding[name as BindingName] as Fn)(...args), name).toThrow(`${name}: expected `);
      expect(() => (binding[name as BindingName] as Fn)(...args), name).toThrow(` for ${first.name}, received a symbol`);
      const check = kernelChecks[name as CheckedName] as Fn | undefined;
      if (check) expect(() => check(...args), name).toThrow(` for ${first.name}, received a symbol`);
    }
  });
});
