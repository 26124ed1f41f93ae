// Both backends side by side, whatever DENSENODE_BACKEND says, for parity tests.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { NativeBinding } from '../../binding.js';
import type { Backend } from '../../lib/backend/backend.js';
import { jsBackend } from '../../lib/backend/js/index.js';
import { selectBackend } from '../../lib/backend/select.js';

export const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The addon file under test: DENSENODE_ADDON when set (the sanitizer build), else the local build. */
export const addonFile = process.env.DENSENODE_ADDON || `${packageRoot}build/Release/densenode.node`;

/** The native backend, loaded directly (the suite requires a built addon). */
export const native: Backend = selectBackend({ DENSENODE_BACKEND: 'native', DENSENODE_ADDON: addonFile }).backend;
export const js: Backend = jsBackend;

/** The raw addon, for tests of the binding's own argument checks. */
export const binding = createRequire(import.meta.url)(addonFile) as NativeBinding;
