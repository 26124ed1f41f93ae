// The release workflow cannot run here, so its structure is checked: it parses as YAML, builds
// on every platform the README promises, hands the prebuilds to a load check on each OS, and
// publishes both packages with provenance from a job that alone may mint an OIDC token.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packageRoot } from './helpers/backends.js';

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Job {
  'runs-on': string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  strategy?: { matrix: { include?: Record<string, string>[]; os?: string[] } };
  steps: Step[];
}
interface Workflow {
  on: { push?: { tags?: string[] }; workflow_dispatch?: unknown };
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const text = readFileSync(join(packageRoot, '.github', 'workflows', 'release.yml'), 'utf8');
const workflow = parse(text, { strict: true, uniqueKeys: true }) as Workflow;
const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');

describe('the release workflow', () => {
  it('runs on version tags, read-only by default', () => {
    expect(workflow.on.push?.tags).toEqual(['v*']);
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(Object.keys(workflow.jobs)).toEqual(['build', 'load', 'publish']);
  });

  it('builds and tests from source on linux x64/arm64 (glibc and musl), macOS arm64/x64 and Windows x64', () => {
    const build = workflow.jobs.build as Job;
    const include = build.strategy?.matrix.include ?? [];
    expect(include.map((e) => e.target)).toEqual([
      'linux-x64',
      'linux-arm64',
      'linux-x64-musl',
      'linux-arm64-musl',
      'darwin-arm64',
      'darwin-x64',
      'win32-x64',
    ]);
    const os = Object.fromEntries(include.map((e) => [e.target, e.os]));
    // Each target on a runner of its own architecture: the tests run natively.
    expect(os).toMatchObject({ 'linux-arm64': 'ubuntu-24.04-arm', 'linux-arm64-musl': 'ubuntu-24.04-arm', 'darwin-x64': 'macos-13' });
    expect(include.filter((e) => e.alpine !== undefined).map((e) => e.target)).toEqual(['linux-x64-musl', 'linux-arm64-musl']);
    expect(runs(build)).toMatch(/npm ci\n\s*npm test/);
    expect(runs(build)).toMatch(/npm ci && npm test && npm run prebuilds/);
    // The glibc prebuilds come from the Debian 11 root, with the glibc 2.28 check of prebuild.mjs.
    expect(include[0]?.prebuild).toMatch(/scripts\/sysroot\.sh.*--old-glibc.*--old-glibc --cross arm64/);
    expect(build.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))?.with?.path).toBe('prebuilds/');
  });

  it('loads the collected prebuilds on each OS before publishing', () => {
    const load = workflow.jobs.load as Job;
    expect(load.needs).toBe('build');
    expect(load.strategy?.matrix.os).toEqual(['ubuntu-24.04', 'ubuntu-24.04-arm', 'macos-14', 'macos-13', 'windows-2022']);
    expect(load.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))?.with).toMatchObject({ 'merge-multiple': true });
    expect(runs(load)).toContain('node scripts/prebuild-check.mjs');
  });

  it('publishes both tarballs with provenance from the one job allowed an id-token', () => {
    const publish = workflow.jobs.publish as Job;
    expect(publish.needs).toBe('load');
    expect(publish.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    for (const [name, job] of Object.entries(workflow.jobs)) if (name !== 'publish') expect(job.permissions).toBeUndefined();
    const script = runs(publish);
    expect(script).toContain('npm pack && npm run pack:cli');
    expect(script.match(/npm publish --provenance --access public/g)).toHaveLength(2);
    expect(script).toContain('densenode-cli-$version.tgz');
  });

  it('uses only pinned major versions of GitHub actions', () => {
    const uses = Object.values(workflow.jobs).flatMap((job) => job.steps.map((s) => s.uses).filter((u) => u !== undefined));
    expect(uses.length).toBeGreaterThan(5);
    for (const action of uses) expect(action).toMatch(/^actions\/(checkout|setup-node|upload-artifact|download-artifact)@v\d+$/);
  });
});
