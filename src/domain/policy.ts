// The support policy deskbot enforces: calendars, SLA targets, fees, eligibility limits and Slack roles.
// Built-in defaults follow the vendor terms in shared/terms; a policy file (POLICY_FILE) names only what it changes.
// Pure: parsing, merging and validation (unknown keys anywhere are errors; calendars are checked completely).
// Reading the file lives in src/policy-file.ts.
import { z } from 'zod';
import { currencyMinorDigits, minorUnitsOf } from './format.ts';
import { calendarIssues } from './sla/calendar-issues.ts';
import { localeChain, localeTagPattern } from './locale.ts';

/** A support-time span: "4h" = 4 support hours, "2d" = 2 full business days of the calendar, "90m" = 90 minutes. */
export const supportDurationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const match = typeof value === 'number' ? null : /^\s*(\d+(?:\.\d+)?)\s*(m|min|h|hours?|d|days?)\s*$/i.exec(value);
  if (typeof value === 'string' && !match) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "4h", "2d" or "90m", got "${value}"` });
    return z.NEVER;
  }
  const amount = typeof value === 'number' ? value : Number(match![1]);
  // A target of no time is due the moment the request arrives: every ticket would breach at once.
  if (!Number.isFinite(amount) || amount <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration above zero, got "${value}"` });
    return z.NEVER;
  }
  if (typeof value === 'number') return { amount: value, unit: 'hours' as const };
  const unitText = match![2]!.toLowerCase();
  if (unitText.startsWith('m')) return { amount: amount / 60, unit: 'hours' as const };
  return { amount, unit: unitText.startsWith('d') ? ('days' as const) : ('hours' as const) };
});
export type SupportDuration = { amount: number; unit: 'hours' | 'days' };

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

const timeOfDay = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'expected HH:MM');
/** Opening hours of one weekday as [open, close] pairs, e.g. [["09:00","18:00"]]. Empty = closed. */
const dayHoursSchema = z.array(z.tuple([timeOfDay, timeOfDay]));

export const calendarSchema = z.strictObject({
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

const severityTargetsSchema = z.strictObject({
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

/** A calendar day as YAML writes it: "2026-05-01" (or an unquoted date some YAML parsers turn into a Date). */
const isoDateSchema = z.preprocess(
  (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : value),
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
    .refine(
      (value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
      'not a calendar date',
    ),
);

/** A version as written; a YAML number (9.4) is read as its text, so quote versions like "10.0" that end in 0. */
const versionSchema = z.preprocess((value) => (typeof value === 'number' ? String(value) : value), z.string().trim().min(1));

const releaseSchema = z.strictObject({ version: versionSchema, releasedOn: isoDateSchema });

/** A version release (Cryptzone 1.19) with the maintenance releases (1.7) published for it. */
const versionReleaseSchema = z.strictObject({
  version: versionSchema,
  releasedOn: isoDateSchema,
  maintenanceReleases: z.array(releaseSchema).default([]),
});

/** One product's releases, for the supported-versions rule of Cryptzone §2.3 (supported-versions.ts). */
export const productReleasesSchema = z
  .strictObject({ versions: z.array(versionReleaseSchema).min(1, 'list at least one version release') })
  .superRefine((product, ctx) => {
    const seenVersions = new Map<string, string>();
    const seenDays = new Map<string, number>();
    product.versions.forEach((versionRelease, index) => {
      const day = seenDays.get(versionRelease.releasedOn);
      if (day !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['versions', index, 'releasedOn'], message: `same day as versions[${day}]; which one is current?` });
      }
      seenDays.set(versionRelease.releasedOn, index);
      const releases: Array<{ path: Array<string | number>; release: { version: string } }> = [
        { path: ['versions', index, 'version'], release: versionRelease },
        ...versionRelease.maintenanceReleases.map((release, mrIndex) => ({ path: ['versions', index, 'maintenanceReleases', mrIndex, 'version'], release })),
      ];
      for (const { path, release } of releases) {
        const key = release.version.toLowerCase();
        const where = seenVersions.get(key);
        if (where !== undefined) ctx.addIssue({ code: 'custom', path, message: `version "${release.version}" is also listed at ${where}` });
        seenVersions.set(key, path.join('.'));
      }
      versionRelease.maintenanceReleases.forEach((release, mrIndex) => {
        if (release.releasedOn < versionRelease.releasedOn) {
          const path = ['versions', index, 'maintenanceReleases', mrIndex, 'releasedOn'];
          ctx.addIssue({ code: 'custom', path, message: `before its version release (${versionRelease.releasedOn})` });
        }
      });
    });
  });
export type ProductReleases = z.infer<typeof productReleasesSchema>;

/** A Slack user or user-group ID (U…, W…, S…): one word, never a display name. */
const slackId = z.string().regex(/^\S+$/, 'expected a Slack user or user-group ID (U…, W… or S…), not a name with spaces');

export const policySchema = z.strictObject({
  calendars: z.record(z.string(), calendarSchema),
  sla: z.strictObject({
    severities: z.strictObject({
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
  billing: z.strictObject({
    /** Fee per incident, in major units of each currency, taxes excluded. */
    fees: z.record(z.enum(currencies), z.number().nonnegative()).superRefine((fees, ctx) => {
      // Checked here, not when the first request in the currency opens (lockPrice): a fee it cannot lock stops deskbot.
      for (const [currency, amount] of Object.entries(fees) as Array<[Currency, number]>) {
        if (minorUnitsOf(amount, currency) === null) {
          ctx.addIssue({ code: 'custom', path: [currency], message: `${amount} ${currency} has more than ${currencyMinorDigits[currency]} decimals` });
        }
      }
    }),
    /** Free, unlimited incidents for this many days after a purchased licence is registered. */
    installationPeriodDays: z.number().int().nonnegative(),
    taxesExcluded: z.boolean(),
    /**
     * How the fee is paid, one sentence after the fee in the acknowledgement and the closure mail: one text for every
     * language, or texts by locale tag (`{ en: …, de: … }`: the customer's locale, then its language, then `en`).
     */
    paymentInstructions: z
      .union([z.string().min(1), z.record(z.string().regex(localeTagPattern, 'expected a locale tag such as en or de-AT'), z.string().min(1))])
      .refine((value) => typeof value === 'string' || Object.keys(value).length > 0, 'expected a text or texts by locale'),
    /**
     * A customer's first chargeable request asks for a reply with "I agree" to the terms at `termsUrl` before its SLA
     * clock starts (Kerio ToS preamble); recorded once per customer. Free incidents never ask.
     */
    requireAgreement: z.boolean(),
    /** Where the support terms are published (http or https); null when not published (the mail then offers them on request). */
    termsUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).nullable(),
  }),
  eligibility: z
    .strictObject({
      maxEligibleCallers: z.number().int().positive(),
      minEligibleCallers: z.number().int().nonnegative(),
      /** Days after maintenance expiry during which requests are still accepted. */
      maintenanceGraceDays: z.number().int().nonnegative(),
    })
    .refine((limits) => limits.minEligibleCallers <= limits.maxEligibleCallers, {
      path: ['minEligibleCallers'],
      message: 'must not be above maxEligibleCallers',
    }),
  /** What a request must contain before its SLA clock starts. */
  requiredInfo: z.array(z.enum(requiredInfoItems)),
  roles: z.strictObject({
    engineers: z.array(slackId),
    managers: z.array(slackId),
  }),
  reminders: z.strictObject({
    /** Business days (of the customer's calendar) a request waits for missing information before the customer is reminded. */
    needsInfoAfterBusinessDays: z.number().int().positive(),
  }),
  /** Products by name (as licences and requests name them) with their releases; a product not listed is not version-checked. */
  products: z.record(z.string().trim().min(1), productReleasesSchema),
});
export type Policy = z.infer<typeof policySchema>;
/** The policy file as written: every key optional, merged over the defaults. */
export type PolicyInput = z.input<typeof policySchema>;

const weekdayHours: Partial<Record<Weekday, Array<[string, string]>>> = {
  mon: [['09:00', '18:00']],
  tue: [['09:00', '18:00']],
  wed: [['09:00', '18:00']],
  thu: [['09:00', '18:00']],
  fri: [['09:00', '18:00']],
};

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
    // The mail says the fee is charged when the incident closes; this says how (the vendor's FAQ: by payment card).
    paymentInstructions: {
      en: 'The fee is charged to your payment card; an invoice follows by e-mail.',
      de: 'Die Gebühr wird Ihrer Zahlungskarte belastet; die Rechnung folgt per E-Mail.',
      cs: 'Poplatek bude stržen z vaší platební karty; fakturu zašleme e-mailem.',
      sv: 'Avgiften dras från ert betalkort; fakturan skickas via e-post.',
    },
    requireAgreement: true,
    termsUrl: null,
  },
  eligibility: { maxEligibleCallers: 5, minEligibleCallers: 3, maintenanceGraceDays: 0 },
  requiredInfo: ['severity', 'licence', 'product', 'version'],
  roles: { engineers: [], managers: [] },
  reminders: { needsInfoAfterBusinessDays: 2 },
  products: {},
} satisfies PolicyInput;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Objects a policy file replaces as a whole: texts by locale must not mix a vendor's English with the default's
 * German (a file giving only `en` means one text for every language).
 */
const replacedWhole = new Set(['billing.paymentInstructions']);

/** Deep-merges `override` over `base`: objects merge key by key (except those replaced whole), arrays and scalars replace. */
export function mergePolicyInput(base: unknown, override: unknown, path = ''): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override) || replacedWhole.has(path)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = mergePolicyInput(base[key], value, path ? `${path}.${key}` : key);
  return merged;
}

export type PolicyIssue = { path: string; message: string };

/** A zod issue as policy issues: an unknown key (a typo like `role:`) becomes one issue per key, naming it. */
function policyIssuesOf(issue: z.core.$ZodIssue): PolicyIssue[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...path, key].join('.'), message: `unknown key "${key}"${path.length ? ` in ${path.join('.')}` : ''}` }));
  }
  return [{ path: path.join('.') || '(root)', message: issue.message }];
}

/**
 * Builds the effective policy from an optional partial policy (as parsed from YAML).
 * Returns the issues instead of throwing so callers can name the file in their error.
 */
export function resolvePolicy(partial: unknown = {}): { policy: Policy } | { issues: PolicyIssue[] } {
  if (partial !== null && partial !== undefined && !isPlainObject(partial)) {
    return { issues: [{ path: '(root)', message: 'expected a mapping of policy settings' }] };
  }
  const result = policySchema.safeParse(mergePolicyInput(defaultPolicyInput, partial ?? {}));
  if (!result.success) return { issues: result.error.issues.flatMap(policyIssuesOf) };
  const policy = result.data;
  const issues: PolicyIssue[] = [];
  for (const [name, calendar] of Object.entries(policy.calendars)) {
    for (const issue of calendarIssues(calendar)) issues.push({ path: `calendars.${name}.${issue.field}`, message: `calendar "${name}": ${issue.message}` });
  }
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

/** The IANA zone of a calendar the policy names (the customer's region); UTC for a name it does not know. */
export function calendarTimeZone(policy: Policy, calendar: string): string {
  return Object.hasOwn(policy.calendars, calendar) ? policy.calendars[calendar]!.timeZone : 'UTC';
}

/** policy.billing.paymentInstructions as one text or texts by locale tag. */
export type PaymentInstructions = string | Record<string, string>;

/** The payment instructions for a mail in `locale`: along its localeChain (de-AT, de, en), else the first text given. */
export function paymentInstructionsIn(instructions: PaymentInstructions, locale: string): string {
  if (typeof instructions === 'string') return instructions;
  const byTag = new Map(Object.entries(instructions).map(([tag, text]) => [tag.toLowerCase(), text]));
  for (const tag of localeChain(locale)) {
    const text = byTag.get(tag.toLowerCase());
    if (text !== undefined) return text;
  }
  return Object.values(instructions)[0] ?? '';
}
