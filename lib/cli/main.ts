// The `densenode` command line (commander): train, evaluate, predict, compare,
// bench, info. Exit codes: 0 ok, 1 runtime or data error, 2 usage error, 130
// interrupted by Ctrl-C (after writing what was trained). Errors print as one
// line; --verbose adds the stack.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { producer } from '../io/common.js';
import { MAX_THREADS, setThreads } from '../kernels.js';
import { MAX_LEARNING_RATE } from '../optimizers/index.js';
import { missingPackageMessage } from './cli-packages.js';
import { UsageError } from './errors.js';

const { version } = producer;

function integer(min: number, max = Number.POSITIVE_INFINITY) {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(
        max === Number.POSITIVE_INFINITY ? `expected an integer >= ${min}` : `expected an integer in [${min}, ${max}]`,
      );
    return n;
  };
}

function number(check: (n: number) => boolean, what: string) {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new InvalidArgumentError(`expected ${what}`);
    return n;
  };
}

function widths(value: string): number[] {
  if (value === '' || value === 'none') return [];
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) throw new InvalidArgumentError('expected hidden widths like 64,32');
  return parts.map(Number);
}

const fraction = number((n) => n >= 0 && n < 1, 'a fraction in [0, 1)');

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 2 ** 10,
  kb: 2 ** 10,
  m: 2 ** 20,
  mb: 2 ** 20,
  g: 2 ** 30,
  gb: 2 ** 30,
  t: 2 ** 40,
  tb: 2 ** 40,
};

// --memory 512MB: bytes, with binary units (1 MB = 2^20 bytes) as memory sizes usually are.
function byteSize(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (match === null || unit === undefined || Number(match[1]) <= 0) throw new InvalidArgumentError('expected a size like 512MB or 2GB');
  return Math.round(Number(match[1]) * unit);
}

// --class-weight balanced, or a JSON object of class (name or index) → weight.
function classWeight(value: string): 'balanced' | Record<string, number> {
  if (value === 'balanced') return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError("expected 'balanced' or a JSON object like '{\"yes\": 5}'");
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((w) => typeof w === 'number'))
    throw new InvalidArgumentError("expected 'balanced' or a JSON object of class → number");
  return parsed as Record<string, number>;
}

const names = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
// --na '?,NA' lists tokens; an empty cell is always missing anyway.
const tokens = (value: string) => value.split(',').map((s) => s.trim());

// Options train and compare share: where the data comes from, how its columns are read and how it is split.
function dataOptions(command: Command, defaults: { epochs: number } = { epochs: 50 }): Command {
  return command
    .option('--target <column>', 'label column, by name or 0-based index (default: the last column)')
    .option('--labels <file>', 'IDX labels file for IDX images (default: found by name)')
    .option('--categorical <columns>', 'read these columns as categories (e.g. integer codes)', names)
    .option('--numeric <columns>', 'read these columns as numbers', names)
    .option('--dates <columns>', 'read these columns as dates', names)
    .option('--ignore <columns>', 'leave these columns out (IDs, leaks)', names)
    .option('--na <tokens>', "cell texts that mean missing (default: '?,NA,N/A,NaN,null,None'; an empty cell always is)", tokens)
    .option('--min-count <n>', 'levels seen in fewer training rows join (other) (default: rows/200, 2..10)', integer(1))
    .addOption(
      new Option('--output <activation>', 'output layer (default: inferred from the labels)').choices(['sigmoid', 'softmax', 'linear']),
    )
    .option('--layers <widths>', 'hidden layer widths', widths, [64, 32])
    .option('--epochs <n>', 'epochs (at most, with --patience)', integer(1), defaults.epochs)
    .option('--batch-size <n>', 'rows per step', integer(1), 32)
    .option('--seed <n>', 'seed for initialisation, shuffling, dropout and the split', integer(0), 1)
    .option('--validation <fraction>', 'validation split', fraction, 0.2)
    .option('--test <fraction>', 'test split (Fashion-MNIST uses its own test set)', fraction, 0.2)
    .option('--threads <n>', 'native kernel threads (default: all cores)', integer(1, MAX_THREADS))
    .option('--json', 'machine-readable lines on stdout instead of text', false)
    .option('--quiet', 'no progress output', false);
}

function useThreads(flags: { threads?: number }): void {
  if (flags.threads !== undefined) setThreads(flags.threads);
}

/** The whole invocation as text, for the report and history.json. */
const commandLine = (argv: string[]) => ['densenode', ...argv.slice(2)].join(' ');

export function buildProgram(argv: string[], exit: { code: number }): Command {
  const program = new Command('densenode')
    .description('Train fully-connected neural networks at native speed.')
    .version(version, '-V, --version')
    .option('--verbose', 'show stack traces of errors', false)
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');

  dataOptions(
    program
      .command('train')
      .description('train a model on DATA (a CSV file, IDX images, or fashion-mnist; default: the built-in breast-cancer data)')
      .argument('[data]', 'CSV file, IDX images file, or fashion-mnist'),
    { epochs: 200 },
  )
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['sgd', 'momentum', 'rmsprop', 'adam', 'adamw']).default('adam'))
    .option(
      '--lr <rate>',
      'learning rate (default: the optimizer’s)',
      number((n) => n > 0 && n <= MAX_LEARNING_RATE, `a number in (0, ${MAX_LEARNING_RATE}]`),
    )
    .option(
      '--l2 <lambda>',
      'L2 penalty λ',
      number((n) => n >= 0, 'a number >= 0'),
      0.3,
    )
    .option('--dropout <rate>', 'dropout after each hidden layer', fraction, 0)
    .option('--batch-norm', 'batch-norm after each hidden dense layer', false)
    .option(
      '--patience <epochs>',
      'stop when validation loss has not improved for this many epochs, keeping the best weights (0: off)',
      integer(0),
      10,
    )
    .option(
      '--clip-norm <n>',
      'scale each step’s gradient to a global norm of at most n',
      number((n) => n > 0, 'a number > 0'),
    )
    .option('--class-weight <weights>', "weigh classes: 'balanced' (n / (k · n_c)) or JSON like '{\"yes\": 5}'", classWeight)
    .option('--metrics <names>', 'metrics to log and report, e.g. auc,precision,recall,f1 or mae,rmse,r2', names)
    .addOption(
      new Option('--loss <name>', 'regression loss (default meanSquaredError)').choices(['meanSquaredError', 'huber', 'meanAbsoluteError']),
    )
    .option('--out <dir>', 'where to write the model, history.json, learning-curve.svg and report.html', 'densenode-model')
    .option(
      '--memory <size>',
      'a CSV that would take more memory than this (e.g. 512MB) streams through a disk cache (default: half the free memory)',
      byteSize,
    )
    .option('--cache <dir>', 'stream the CSV with its encoded rows cached in this directory (default when streaming: FILE.cache)')
    .option('--no-cache', 'stream the CSV without a cache, parsing it every epoch')
    .action(async (data: string | undefined, flags) => {
      useThreads(flags);
      const { trainCommand } = await import('./train-command.js');
      exit.code = await trainCommand(data, flags, commandLine(argv));
    });

  program
    .command('evaluate')
    .description('loss and accuracy of a saved model on DATA')
    .argument('<model>', 'model directory (from train or model.save)')
    .argument('<data>', 'CSV file with the label column, IDX images, or fashion-mnist (its test set)')
    .option('--labels <file>', 'IDX labels file for IDX images')
    .option('--json', 'one JSON object on stdout', false)
    .action(async (model: string, data: string, flags) => {
      const { evaluateCommand } = await import('./model-commands.js');
      exit.code = await evaluateCommand(model, data, flags);
    });

  program
    .command('predict')
    .description('predictions of a saved model for DATA, as CSV (class and probabilities, or values)')
    .argument('<model>', 'model directory')
    .argument('<data>', 'CSV file (a label column, if present, is ignored), IDX images, or fashion-mnist')
    .option('--out <file>', 'write the CSV here instead of stdout')
    .option('--labels <file>', 'IDX labels file for IDX images')
    .action(async (model: string, data: string, flags) => {
      const { predictCommand } = await import('./model-commands.js');
      exit.code = await predictCommand(model, data, flags);
    });

  dataOptions(
    program
      .command('compare')
      .description(
        'train a series of configurations on one dataset and compare them (default: GD, momentum, RMSprop, Adam, then Adam + L2, dropout, batch-norm)',
      )
      .argument('[data]', 'CSV file, IDX images file, or fashion-mnist'),
  )
    .option('--config <file>', 'JSON: { "base": {…}, "runs": [{ "name", "optimizer", "lr", "l2", "dropout", "batchNorm", … }] }')
    .option('--out <dir>', 'where to write compare.svg and compare.json', 'densenode-compare')
    .addOption(
      new Option('--folds <k>', 'k-fold cross-validation: each run tests on every fold in turn (CSV data; --test is unused)')
        .argParser(integer(2))
        .conflicts('seeds'),
    )
    .option('--seeds <n>', 'repeat each run over n seeded splits and initialisations (--seed, --seed + 1, …)', integer(2))
    .action(async (data: string | undefined, flags) => {
      useThreads(flags);
      const { compareCommand } = await import('./compare-command.js');
      exit.code = await compareCommand(data, flags, commandLine(argv));
    });

  program
    .command('bench')
    .description('kernel and training throughput on this machine, native against the JS fallback')
    .option('--quick', 'fewer repetitions and smaller sizes', false)
    .option('--json', 'one JSON object on stdout', false)
    .action(async (flags) => {
      const { benchCommand } = await import('./bench-command.js');
      exit.code = benchCommand(flags);
    });

  program
    .command('info')
    .description('version, backend (native or js, and why), ISA and threads')
    .option('--json', 'one JSON object on stdout', false)
    .action(async (flags: { json: boolean }) => {
      const { backendInfo } = await import('../kernels.js');
      const info = backendInfo();
      if (flags.json) console.log(JSON.stringify({ version, node: process.version, ...info }));
      else
        console.log(
          `densenode ${version} (node ${process.version})\nbackend: ${info.name} (${info.reason})\nisa: ${info.isa}\nthreads: ${info.threads}`,
        );
    });
  return program;
}

/** Runs the CLI on process.argv-style arguments and resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  // `densenode predict … | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const exit = { code: 0 };
  const program = buildProgram(argv, exit);
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv);
    return exit.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed the message; help and version are not errors.
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
    }
    const missing = missingPackageMessage(error);
    if (missing !== undefined) {
      console.error(`densenode: ${missing}`);
      return 1;
    }
    const e = error instanceof Error ? error : new Error(String(error));
    if (verbose) console.error(e.stack);
    else console.error(`densenode: ${e.message}`);
    return e instanceof UsageError ? 2 : 1;
  }
}
