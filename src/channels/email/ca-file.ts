// Reads a private CA named by IMAP_TLS_CA_FILE or SMTP_TLS_CA_FILE. config.ts already checked the file at start;
// this read fails the same way (CONFIG_INVALID, exit 78, naming the variable) when it vanished since.
import fs from 'node:fs';
import { DeskbotError } from '../../errors.ts';

/** The PEM text of a CA file named by `variable`; CONFIG_INVALID naming the variable when unreadable. */
export function readCaFile(variable: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new DeskbotError('CONFIG_INVALID', `${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {
      cause: error,
      details: { variables: [variable] },
    });
  }
}
