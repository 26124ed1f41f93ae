#!/usr/bin/env node
// The release workflow's load check (and usable by hand): in a checkout with dist/ built and no
// build/Release, this platform's file in prebuilds/ loads and trains the built-in data natively.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (existsSync(join(root, 'build', 'Release', 'densenode.node'))) {
  console.error('prebuild-check: build/Release/densenode.node exists and would load first; remove build/ to check the prebuild');
  process.exit(1);
}
const dn = await import(new URL('../dist/index.js', import.meta.url).href);
const data = dn.breastCancer();
const net = dn.mlp([30, 16, 8, 1], { batchNorm: true, dropout: 0.1, l2: 1e-3, optimizer: dn.adam({ learningRate: 0.01 }), seed: 1 });
await net.fit(data.xTrain, data.yTrain, { epochs: 30, batchSize: 32 });
const info = dn.backendInfo();
const { accuracy } = net.evaluate(data.xTest, data.yTest);
const ok = info.name === 'native' && /prebuilds/.test(info.reason) && accuracy >= 0.95;
console.log(`prebuild-check: ${process.platform}-${process.arch} ${info.name} ${info.isa} (${info.reason}), test accuracy ${accuracy}`);
process.exit(ok ? 0 : 1);
