// The command line's own packages (commander, cli-progress, asciichart, vega, vega-lite) are
// optional peers of densenode, so a library user does not install them; densenode-cli depends
// on all of them (docs/decisions.md). A missing one is named with the command that brings it.

/** The install command the messages name. */
export const CLI_INSTALL = 'npm install densenode-cli';

/** When `error` is a failed import of a package, the one line saying how to get it; otherwise undefined. */
export function missingPackageMessage(error: unknown): string | undefined {
  const e = error as NodeJS.ErrnoException | undefined;
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || typeof e.message !== 'string') return undefined;
  const name = /Cannot find package '([^']+)'/.exec(e.message)?.[1];
  if (name === undefined) return undefined;
  return `the command line needs the '${name}' package, which the library alone does not install: \`${CLI_INSTALL}\` brings it and every chart library, then run \`npx densenode-cli train\``;
}
