// densenode's public surface.
export type { ActivationKind, BackendInfo, CacheInfo, CacheLevelInfo, CpuBudget, GemmBlocking, GemmEpilogue } from './backend/backend.js';
export type { BatchSource, SourceBatch } from './batch-source.js';
export { earlyStopping } from './callbacks/early-stopping.js';
export { reduceLrOnPlateau } from './callbacks/reduce-lr.js';
export { type CsvDataset, type CsvDatasetOptions, type CsvProgress, csvDataset } from './data/csv-dataset.js';
export { DataError } from './data/data-error.js';
export { dataset, Pipeline, recordBatches } from './data/dataset.js';
export { type StreamedSpec, type TabularStreamOptions, tabularStream } from './data/fit-stream.js';
export { type ReadCsvOptions, readCsv } from './data/read-csv.js';
export type {
  CategoricalColumn,
  Cell,
  ColumnSpec,
  DateColumn,
  DroppedColumn,
  NumericColumn,
  Preprocessing,
  TableRecord,
  TabularSpec,
  TargetSpec,
} from './data/spec.js';
export { DEFAULT_NA, tabularPreprocessing } from './data/spec.js';
export { type ColumnNotice, type EncodedTable, encodeTable, type TabularData, type TabularOptions, tabular } from './data/tabular.js';
export { breastCancer, type Dataset } from './datasets.js';
export {
  type BatchLogs,
  type Callback,
  type ClassWeight,
  DivergenceError,
  type EarlyStoppingOptions,
  type EpochLogs,
  type FitOptions,
  type History,
  type Monitor,
  type ReduceLrOnPlateauOptions,
  type RunInfo,
} from './fit-types.js';
export { type GradCheckResult, gradCheck } from './gradcheck.js';
export { loadIdxImages, loadIdxLabels } from './io/idx.js';
export { ModelFileError } from './io/model-file-error.js';
export type { OnnxExportOptions } from './io/onnx.js';
export type { TfjsExportOptions } from './io/tfjs.js';
export type { Kernels } from './kernels.js';
export { backendInfo, kernels, setThreads } from './kernels.js';
export type { LayerSpec } from './layers/index.js';
export { type ActivationName, batchNorm, dense, dropout, leakyRelu, linear, relu, sigmoid, softmax, tanh } from './layers/index.js';
export { LOSSES, type LossName } from './losses.js';
export { type CustomMetric, METRIC_NAMES, type MetricName, type MetricSpec, rocAuc } from './metrics/index.js';
export { Model } from './model.js';
export { importTfjs, load } from './model-factory.js';
export type { CallbackModel, CompileOptions, CustomLoss, EvaluateOptions, Evaluation, SequentialConfig } from './model-types.js';
export type { OptimizerOptions, OptimizerSpec, Schedule } from './optimizers/index.js';
export { adam, adamw, cosineDecay, exponentialDecay, momentum, rmsprop, sgd, stepDecay } from './optimizers/index.js';
export { type MlpOptions, mlp, sequential } from './sequential.js';
export type { LabelsLike } from './targets.js';
export { type Matrix, type MatrixLike, matrix } from './tensor.js';
