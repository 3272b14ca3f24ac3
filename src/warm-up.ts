// Why: after a restart the first customer mail paid for what the process compiles on first use — every mail template
// (~80 ms of Handlebars), the policy's business calendars with this year's holidays (~20 ms), the mail parser — and
// was answered ~100-300 ms later than the next one. `serve` does that work in the background as it starts (~0.3 s of
// CPU, yielding between templates); a mail arriving meanwhile compiles what it needs itself.
import { calendarFor } from './domain/sla/business-calendar.ts';
import type { Runtime } from './runtime.ts';

export interface WarmUpSummary {
  templates: number;
  calendars: number;
  ms: number;
}

/** A plain request the parser reads once; nothing is stored or sent. */
const sampleMail = Buffer.from(
  [
    'From: Warm Up <warm-up@deskbot.invalid>',
    'To: support@deskbot.invalid',
    'Subject: warm-up',
    'Message-ID: <warm-up@deskbot.invalid>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Warm-up only.',
    '',
  ].join('\r\n'),
);

export async function warmUp(runtime: Pick<Runtime, 'mailRenderer' | 'policy' | 'clock' | 'parser'>): Promise<WarmUpSummary> {
  const started = performance.now();
  const templates = await runtime.mailRenderer.warm();
  const now = runtime.clock.now();
  const names = Object.keys(runtime.policy.calendars);
  for (const name of names) calendarFor(runtime.policy, name).addSupportTime(now, 60 * 60 * 1_000);
  await runtime.parser.parse(sampleMail);
  return { templates, calendars: names.length, ms: Math.round(performance.now() - started) };
}
