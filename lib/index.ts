// densenode's public surface.
export type { ActivationKind, BackendInfo, GemmEpilogue } from './backend/backend.js';
export type { Kernels } from './kernels.js';
export { backendInfo, kernels, setThreads } from './kernels.js';
