// Preloaded (NODE_OPTIONS=--require) into every node process of `node scripts/sanitize.mjs`.
'use strict';
const { ChildProcess } = require('node:child_process');

// vitest's own process (vite, its rolldown bundler) runs unsanitized: it never loads the addon,
// and the bundler's leaks are not ours to judge. Every process it starts (the forks that run the
// tests, and what the tests spawn) inherits LD_PRELOAD of the ASan runtime from here.
if (process.env.DENSENODE_ASAN_RUNTIME && !process.env.LD_PRELOAD) process.env.LD_PRELOAD = process.env.DENSENODE_ASAN_RUNTIME;

// vitest stops its forks with SIGTERM, which ends a process without its exit handlers, so
// LeakSanitizer would never check the processes that loaded the addon: exit normally instead.
process.on('SIGTERM', () => process.exit(143));

// A fork whose event loop drains first (vitest closed its channel before the SIGTERM) would exit
// through Node's full teardown, which frees V8's heap: LeakSanitizer then has nothing to suppress
// and prints nothing, which looks exactly like a process whose check never ran. Exit the same way
// as on SIGTERM, so every checked process leaves its "Suppressions used" table.
process.on('beforeExit', (code) => process.exit(code));

// ...and 500 ms later it sends SIGKILL, while a fork's exit-time leak check takes 0.3-0.6 s here
// (more on a busy machine) and would be cut off unseen. A SIGKILL to a child already told to
// terminate therefore waits for its own exit, for up to 30 s.
const kill = ChildProcess.prototype.kill;
const terminating = new WeakSet();
ChildProcess.prototype.kill = function (signal) {
  if (signal === undefined || signal === 'SIGTERM') terminating.add(this);
  else if (signal === 'SIGKILL' && terminating.has(this) && this.exitCode === null && this.signalCode === null) {
    const timer = setTimeout(() => kill.call(this, 'SIGKILL'), 30_000);
    this.once('exit', () => clearTimeout(timer));
    return true;
  }
  return kill.call(this, signal);
};
