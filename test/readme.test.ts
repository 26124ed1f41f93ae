// The README's TypeScript example runs as written against the built package.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './helpers/backends.js';

describe('README', () => {
  it('has a Quick start with exactly two commands, the second being the test command', () => {
    const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
    const quickStart = readme.split('## Quick start')[1]?.split('```sh')[1]?.split('```')[0] ?? '';
    const commands = quickStart.trim().split('\n');
    expect(commands).toHaveLength(2);
    expect(commands[1]).toMatch(/^npm test\b/);
    expect(readFileSync(join(packageRoot, '.ci', 'run'), 'utf8')).toMatch(/^npm test$/m);
  });

  it('its TypeScript examples run as written', () => {
    const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
    const examples = readme
      .split('```ts')
      .slice(1)
      .map((block) => block.split('```')[0] ?? '');
    expect(examples.length).toBeGreaterThanOrEqual(2);
    examples.forEach((example, i) => {
      expect(example).toContain("from 'densenode'");
      let script = example.replace("'densenode'", JSON.stringify(join(packageRoot, 'dist', 'index.js')));
      if (example.includes('kernels.gemm')) {
        // The comment says what C holds after the first call; the second adds the bias and ReLU.
        script += `
          const expected = [58, 64, 139, 154].map((v, j) => Math.max(0, v + [1, -200][j % 2]));
          if (JSON.stringify(Array.from(C)) !== JSON.stringify(expected)) throw new Error('README example gave ' + C);`;
      }
      const file = join(packageRoot, 'build', `readme-example-${i}.mjs`);
      writeFileSync(file, script);
      // Examples that write files (save, checkpoints) do so in a scratch directory.
      const cwd = mkdtempSync(join(tmpdir(), 'densenode-readme-'));
      const result = spawnSync(process.execPath, [file], { encoding: 'utf8', cwd });
      rmSync(file);
      rmSync(cwd, { recursive: true, force: true });
      expect(result.stderr, `example ${i}`).toBe('');
      expect(result.status).toBe(0);
    });
  });

  it('the Quick start command trains the built-in data and prints a test accuracy above 93%', () => {
    const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
    const first = readme.split('## Quick start')[1]?.split('```sh')[1]?.split('\n')[1] ?? '';
    const command = (first.split('#')[0] ?? '').split('&&').at(-1)?.trim() ?? '';
    expect(command).toBe('node bin/densenode.cjs train');
    const [, script, ...args] = command.split(' ');
    const cwd = mkdtempSync(join(tmpdir(), 'densenode-quick-start-'));
    const result = spawnSync(process.execPath, [join(packageRoot, script as string), ...args], { cwd, encoding: 'utf8' });
    rmSync(cwd, { recursive: true, force: true });
    expect(result.status, result.stderr).toBe(0);
    const accuracy = /test accuracy: ([\d.]+)%/.exec(result.stdout);
    expect(accuracy, result.stdout).not.toBeNull();
    expect(Number(accuracy?.[1])).toBeGreaterThan(93);
  });

  it('the API demo (npm run demo) prints a test accuracy above 95%', () => {
    const result = spawnSync(process.execPath, [join(packageRoot, 'dist', 'demo.js')], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const accuracy = /test accuracy: ([\d.]+)%/.exec(result.stdout);
    expect(accuracy, result.stdout).not.toBeNull();
    expect(Number(accuracy?.[1])).toBeGreaterThan(95);
  });
});
