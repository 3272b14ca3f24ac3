// Every template shipped in templates/ is sent by some path in src/ (a template nothing sends is removed), and every
// name the code sends has its files. The paths themselves are tested where they send: acknowledgement and not-eligible
// (test/app/intake/), needs-info (test/jobs/needs-info-reminders.test.ts), split-notice and engineer-reply
// (test/app/engineer/), closure (test/app/close-ticket.test.ts), sla-at-risk and sla-escalation (test/jobs/sla-sweeper.test.ts),
// oversized-notice (test/app/intake/handle-inbound-email.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { templateNames } from '../../src/app/mail-templates.ts';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const shipped = [
  ...new Set(
    fs
      .readdirSync(path.resolve('templates/en'))
      .filter((file) => file.endsWith('.hbs'))
      .map((file) => file.replace(/\.(subject|text|html)\.hbs$/, '')),
  ),
].sort();
const sources = sourceFiles(path.resolve('src'))
  .filter((file) => !file.endsWith(path.join('app', 'mail-templates.ts')))
  .map((file) => fs.readFileSync(file, 'utf8'))
  .join('\n');

describe('templates in use', () => {
  it('ships exactly the templates the code knows', () => {
    expect(shipped).toEqual([...templateNames].sort());
  });

  it.each(shipped)('%s is sent by some path in src/', (name) => {
    expect(sources).toMatch(new RegExp(`template: '${name}'`));
  });
});
