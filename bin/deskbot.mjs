#!/usr/bin/env node
// The deskbot executable: registers the TypeScript loader (tsx), then runs the CLI.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// A command is done: let pending output flush, but do not let a stray handle keep the process alive.
setTimeout(() => process.exit(code), 2_000).unref();
