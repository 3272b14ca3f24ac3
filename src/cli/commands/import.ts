// `deskbot import <file>`: the directory (YAML) or eligible callers (CSV), all or nothing; warnings on stderr.
import type { Command } from 'commander';
import { importDirectoryFile } from '../../app/import-directory.ts';
import { openRuntime } from '../../runtime.ts';
import { resolveCliPath } from '../arguments.ts';
import type { CommandContext } from '../io.ts';

export function registerImportCommand(program: Command, { io, getConfig }: CommandContext): Command {
  return program
    .command('import')
    .description('import customers, licences, eligible callers and partners from YAML, or eligible callers from CSV (customer,email,name)')
    .argument('<file>', 'directory file (.yaml/.yml) or callers file (.csv)')
    .action(async (file: string) => {
      const runtime = await openRuntime(getConfig());
      try {
        const result = await importDirectoryFile(resolveCliPath(io, file), runtime);
        for (const warning of result.warnings) io.stderr(`warning: ${file}: ${warning.record}: ${warning.field}: ${warning.message}\n`);
        io.stdout(`${JSON.stringify({ file: result.file, format: result.format, ...result.summary })}\n`);
      } finally {
        await runtime.close();
      }
    });
}
