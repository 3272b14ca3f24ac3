// The few lines `deskbot serve` prints on a terminal once it listens: where to look and where to drop mail.
// Only in the human log format; JSON output carries the same facts in its `listening` line.
import type { StartupSummary } from '../startup-summary.ts';

export function formatBanner(summary: StartupSummary, controlSocket: string | undefined): string {
  const rows: Array<[string, string]> = [
    ['HTTP', `${summary.httpUrl}  (${summary.httpUrl}/healthz, ${summary.httpUrl}/metrics)`],
    ['database', summary.database],
    ['mail in', summary.mailIn],
    ['mail out', summary.mailOut],
    ['Slack', summary.slack],
    ['rate limits', summary.rateLimits],
    [
      'admin',
      controlSocket ? `run \`npx deskbot <command>\` in another terminal (handed over ${controlSocket})` : '`npx deskbot <command>` in another terminal',
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return ['', 'deskbot is running', ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`), '  Ctrl-C stops it', '', ''].join('\n');
}
