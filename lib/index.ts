// densenode's public surface.
export type { BackendInfo, GemmEpilogue } from './backend/backend.js';
export { backendInfo, kernels, setThreads } from './kernels.js';
