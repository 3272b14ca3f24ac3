// The support policy deskbot enforces: calendars, SLA targets, fees, eligibility limits and Slack roles.
// Built-in defaults follow the vendor terms in shared/terms; a policy file (POLICY_FILE) names only what it changes.
// Pure: parsing and merging only. Reading the file lives in src/policy-file.ts.
import { z } from 'zod';

/** A support-time span: "4h" = 4 support hours, "2d" = 2 full business days of the calendar, "90m" = 90 minutes. */
export const supportDurationSchema = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    if (typeof value === 'number') return { amount: value, unit: 'hours' as const };
    const match = /^\s*(\d+(?:\.\d+)?)\s*(m|min|h|hours?|d|days?)\s*$/i.exec(value);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like "4h", "2d" or "90m", got "${value}"` });
      return z.NEVER;
    }
    const amount = Number(match[1]);
    const unitText = match[2]!.toLowerCase();
    if (unitText.startsWith('m')) return { amount: amount / 60, unit: 'hours' as const };
    return { amount, unit: unitText.startsWith('d') ? ('days' as const) : ('hours' as const) };
  });
export type SupportDuration = { amount: number; unit: 'hours' | 'days' };

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

const timeOfDay = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'expected HH:MM');
/** Opening hours of one weekday as [open, close] pairs, e.g. [["09:00","18:00"]]. Empty = closed. */
const dayHoursSchema = z.array(z.tuple([timeOfDay, timeOfDay]));

export const calendarSchema = z.object({
  /** IANA time zone, e.g. America/New_York. */
  timeZone: z.string().min(1),
  /** Open around the clock (ignores hours and holidays). */
  alwaysOpen: z.boolean().default(false),
  /** date-holidays country code (US, SE, ...), optionally with state: "US-CA". Omit for no national holidays. */
  holidays: z.string().optional(),
  /** date-holidays holiday types that close the desk. */
  holidayTypes: z.array(z.enum(['public', 'bank', 'school', 'optional', 'observance'])).default(['public', 'bank']),
  hours: z.partialRecord(z.enum(weekdays), dayHoursSchema).default({}),
  /** Extra closed dates (YYYY-MM-DD, local to the calendar). */
  closedDates: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).default([]),
  /** Support hours in one "day" of an SLA target; derived from a full weekday when omitted. */
  hoursPerDay: z.number().positive().optional(),
});
export type Calendar = z.infer<typeof calendarSchema>;

export const severityLevels = [5, 4, 3, 2, 1] as const;
export type Severity = (typeof severityLevels)[number];

const severityTargetsSchema = z.object({
  name: z.string(),
  initialResponse: supportDurationSchema,
  progressUpdate: supportDurationSchema,
  resolution: supportDurationSchema.nullable(),
});
export type SeverityTargets = z.infer<typeof severityTargetsSchema>;

export const currencies = ['USD', 'EUR', 'GBP', 'CZK', 'AUD'] as const;
export type Currency = (typeof currencies)[number];

export const requiredInfoItems = ['severity', 'licence', 'product', 'version'] as const;
export type RequiredInfoItem = (typeof requiredInfoItems)[number];

export const policySchema = z.object({
  calendars: z.record(z.string(), calendarSchema),
  sla: z.object({
    severities: z.object({
      '5': severityTargetsSchema,
      '4': severityTargetsSchema,
      '3': severityTargetsSchema,
      '2': severityTargetsSchema,
      '1': severityTargetsSchema,
    }),
    /** Severities that Support Plus customers get on the 24x7 calendar. */
    plusAlwaysOnSeverities: z.array(z.number().int().min(1).max(5)),
    /** Calendar used for plusAlwaysOnSeverities. */
    plusCalendar: z.string(),
    /** Fraction of a target's support time at which the assignee is warned. */
    warnAtFraction: z.number().gt(0).lt(1),
    /** Severity assumed when the customer names none. */
    defaultSeverity: z.number().int().min(1).max(5),
  }),
  billing: z.object({
    /** Fee per incident, in major units of each currency, taxes excluded. */
    fees: z.record(z.enum(currencies), z.number().nonnegative()),
    /** Free, unlimited incidents for this many days after a purchased licence is registered. */
    installationPeriodDays: z.number().int().nonnegative(),
    taxesExcluded: z.boolean(),
    paymentInstructions: z.string(),
  }),
  eligibility: z.object({
    maxEligibleCallers: z.number().int().positive(),
    minEligibleCallers: z.number().int().nonnegative(),
    /** Days after maintenance expiry during which requests are still accepted. */
    maintenanceGraceDays: z.number().int().nonnegative(),
  }),
  /** What a request must contain before its SLA clock starts. */
  requiredInfo: z.array(z.enum(requiredInfoItems)),
  roles: z.object({
    engineers: z.array(z.string()),
    managers: z.array(z.string()),
  }),
});
export type Policy = z.infer<typeof policySchema>;
/** The policy file as written: every key optional, merged over the defaults. */
export type PolicyInput = z.input<typeof policySchema>;

const weekdayHours: Partial<Record<Weekday, Array<[string, string]>>> = { mon: [['09:00', '18:00']], tue: [['09:00', '18:00']], wed: [['09:00', '18:00']], thu: [['09:00', '18:00']], fri: [['09:00', '18:00']] };

/** Built-in defaults, from the vendor terms (shared/terms) and the foundation issue. */
export const defaultPolicyInput = {
  calendars: {
    US: { timeZone: 'America/New_York', holidays: 'US', hours: weekdayHours },
    EMEA: { timeZone: 'Europe/Stockholm', holidays: 'SE', hours: weekdayHours },
    '24x7': { timeZone: 'UTC', alwaysOpen: true },
  },
  sla: {
    severities: {
      '5': { name: 'Critical', initialResponse: '4h', progressUpdate: '4h', resolution: null },
      '4': { name: 'Major', initialResponse: '8h', progressUpdate: '2d', resolution: '3d' },
      '3': { name: 'Minor', initialResponse: '2d', progressUpdate: '3d', resolution: '15d' },
      '2': { name: 'Other', initialResponse: '3d', progressUpdate: '5d', resolution: null },
      '1': { name: 'Feature request', initialResponse: '3d', progressUpdate: '5d', resolution: null },
    },
    plusAlwaysOnSeverities: [5, 4],
    plusCalendar: '24x7',
    warnAtFraction: 0.75,
    defaultSeverity: 3,
  },
  billing: {
    fees: { USD: 80, EUR: 65, GBP: 55, CZK: 1600, AUD: 75 },
    installationPeriodDays: 90,
    taxesExcluded: true,
    paymentInstructions: 'The fee is charged to the card on file when the incident is closed; an invoice follows by e-mail.',
  },
  eligibility: { maxEligibleCallers: 5, minEligibleCallers: 3, maintenanceGraceDays: 0 },
  requiredInfo: ['severity', 'licence', 'product', 'version'],
  roles: { engineers: [], managers: [] },
} satisfies PolicyInput;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-merges `override` over `base`: objects merge key by key, arrays and scalars replace. */
export function mergePolicyInput(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = mergePolicyInput(base[key], value);
  return merged;
}

export type PolicyIssue = { path: string; message: string };

/**
 * Builds the effective policy from an optional partial policy (as parsed from YAML).
 * Returns the issues instead of throwing so callers can name the file in their error.
 */
export function resolvePolicy(partial: unknown = {}): { policy: Policy } | { issues: PolicyIssue[] } {
  if (partial !== null && partial !== undefined && !isPlainObject(partial)) {
    return { issues: [{ path: '(root)', message: 'expected a mapping of policy settings' }] };
  }
  const result = policySchema.safeParse(mergePolicyInput(defaultPolicyInput, partial ?? {}));
  if (!result.success) {
    return { issues: result.error.issues.map((issue) => ({ path: issue.path.join('.') || '(root)', message: issue.message })) };
  }
  const policy = result.data;
  const issues: PolicyIssue[] = [];
  if (!policy.calendars[policy.sla.plusCalendar]) {
    issues.push({ path: 'sla.plusCalendar', message: `calendar "${policy.sla.plusCalendar}" is not defined` });
  }
  for (const currency of currencies) {
    if (policy.billing.fees[currency] === undefined) issues.push({ path: `billing.fees.${currency}`, message: 'fee missing' });
  }
  return issues.length ? { issues } : { policy };
}

/** The built-in policy. */
export function defaultPolicy(): Policy {
  const resolved = resolvePolicy({});
  if ('issues' in resolved) throw new Error(`built-in policy invalid: ${JSON.stringify(resolved.issues)}`);
  return resolved.policy;
}

export function severityTargets(policy: Policy, severity: number): SeverityTargets {
  const targets = policy.sla.severities[String(severity) as keyof Policy['sla']['severities']];
  if (!targets) throw new RangeError(`severity must be 1-5, got ${severity}`);
  return targets;
}
