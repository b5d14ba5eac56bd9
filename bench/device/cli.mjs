// Runs the CLI bundle directly (bin/capvector.mjs would look for esbuild to check it is fresh; the
// device machine has no node_modules): node bench/device/cli.mjs merge …
const { main } = await import('../../node_modules/.cache/capvector-cli/main.mjs');
process.exitCode = await main(process.argv.slice(2));
