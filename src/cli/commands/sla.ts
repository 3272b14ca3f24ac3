// `deskbot sla`: the due times of a complete request received at an instant, from the policy alone (no database).
import { Option, type Command } from 'commander';
import { computeDueTimes } from '../../domain/sla/index.ts';
import { DeskbotError } from '../../errors.ts';
import { loadPolicy } from '../../policy-file.ts';
import { parseInstant, parseSeverity } from '../arguments.ts';
import type { CommandContext } from '../io.ts';

export function registerSlaCommand(program: Command, { io, getConfig }: CommandContext): Command {
  return program
    .command('sla')
    .description('print the SLA due times of a complete request received at an instant')
    .requiredOption('--calendar <name>', 'calendar: US, EMEA, 24x7 or one defined in the policy file')
    .requiredOption('--severity <1-5>', 'severity: 5 Critical, 4 Major, 3 Minor, 2 Other, 1 feature request', parseSeverity)
    .addOption(new Option('--level <level>', 'support level').choices(['normal', 'plus']).default('normal'))
    .option('--at <iso-time>', 'when the complete request was received (default: now)', parseInstant)
    .action((options: { calendar: string; severity: number; level: 'normal' | 'plus'; at?: Date }) => {
      const policy = loadPolicy(getConfig().POLICY_FILE);
      if (!policy.calendars[options.calendar]) {
        throw new DeskbotError('CLI_USAGE', `unknown calendar "${options.calendar}"; known: ${Object.keys(policy.calendars).join(', ')}`);
      }
      const due = computeDueTimes(policy, {
        calendar: options.calendar,
        supportLevel: options.level,
        severity: options.severity,
        clockStartedAt: options.at ?? new Date(),
      });
      io.stdout(
        `${JSON.stringify({
          initialResponseDue: due.initialResponseDue.toISOString(),
          progressUpdateDue: due.progressUpdateDue.toISOString(),
          resolutionDue: due.resolutionDue ? due.resolutionDue.toISOString() : null,
        })}\n`,
      );
    });
}
