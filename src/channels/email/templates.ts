// Renders the mail deskbot sends from Handlebars files: templates/<locale>/<name>.{subject,text,html}.hbs, with the
// wording several mails share as partials in templates/<locale>/partials/<name>.{text,html}.hbs ({{> fee}}).
// Rendering only; choosing recipients, threading and queueing belong to the use cases and the outbox.
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../package-root.ts';
import Handlebars from 'handlebars';
import { DateTime } from 'luxon';
import { DeskbotError } from '../../errors.ts';
import { formatMoney } from '../../domain/format.ts';
import { fallbackLocale, localeChain } from '../../domain/locale.ts';
import type { SupportDuration } from '../../domain/policy.ts';
import {
  closeOutcomeIn,
  formatBytesIn,
  formatDayIn,
  formatElapsedIn,
  formatInstantIn,
  formatSupportDurationIn,
  mailLanguageOf,
  ownSubjectPrefix,
  ownSubjectSuffix,
  severityNameIn,
  slaTargetLabelIn,
} from './locale-format.ts';

import { templateNames, type RenderedMail, type TemplateDataMap, type TemplateName } from '../../app/mail-templates.ts';

/** The three parts of a template, one file each. */
export const templateParts = ['subject', 'text', 'html'] as const;
export type TemplatePart = (typeof templateParts)[number];

/**
 * Wording several templates share, one file per body part in templates/<locale>/partials/: `fee` is the fee told at
 * open (or free and why), which the acknowledgement, the split notice and a request update that changed it all say;
 * `terms-request` answers a customer who asked for the support terms, in the acknowledgement and the request update.
 */
export const templatePartials = ['fee', 'terms-request'] as const;
/** The parts a partial has: subjects use none. */
export const partialParts = ['text', 'html'] as const;
type PartialPart = (typeof partialParts)[number];
/** Folder of the partials inside a locale folder. */
export const partialsFolder = 'partials';

export { fallbackLocale, localeChain };

/** Folder of the built-in templates (repository root /templates). */
export const builtInTemplatesDir = path.join(packageRoot, 'templates');

export interface TemplateRendererOptions {
  /** TEMPLATES_DIR: same layout; a file there replaces the built-in file of the same locale and name. */
  templatesDir?: string | undefined;
  /** Built-in folder; tests only. */
  builtInDir?: string;
}

export interface TemplateRenderer {
  render<N extends TemplateName>(name: N, locale: string, data: TemplateDataMap[N]): RenderedMail;
  /**
   * Compiles every template (or those of `names`) of every locale (at start-up), so the first mail after a restart
   * does not pay for it; yields to the event loop between templates. Resolves to how many (name, locale) pairs; a
   * template that does not compile rejects as render would.
   */
  warm(names?: readonly TemplateName[]): Promise<number>;
}

type Compiled = (context: unknown, options: { data: { locale: string }; partials?: Record<string, Compiled> }) => string;
type Mode = 'html' | 'plain';

const namePattern = /^[a-z0-9][a-z0-9-]*$/;

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'string' || typeof value === 'number') {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
}

const zoneNameLocales = ['en-US', 'en-GB', 'en-AU', 'en-IN'];

/** Abbreviations by zone and UTC offset: luxon builds an Intl.DateTimeFormat per offsetNameShort (~1-3 ms each). */
const abbreviations = new Map<string, string>();

/** "EST", "CET", "UTC"; a GMT offset where no English abbreviation exists. */
function zoneAbbreviation(instant: DateTime): string {
  const key = `${instant.zoneName ?? ''}|${instant.offset}`;
  const known = abbreviations.get(key);
  if (known !== undefined) return known;
  const names = zoneNameLocales.map((locale) => instant.setLocale(locale).offsetNameShort ?? '');
  const abbreviation = names.find((name) => name && !/^GMT[+-]/.test(name)) ?? names[0] ?? instant.toFormat('ZZ');
  // Zones in use times their offsets: a handful; the bound only guards against a policy that names hundreds.
  if (abbreviations.size >= 1_000) abbreviations.clear();
  abbreviations.set(key, abbreviation);
  return abbreviation;
}

/** "Mon 23 Nov 2026, 13:00 EST": the instant in `timeZone`, words in `locale`. */
export function formatInstant(value: Date, timeZone: string, locale: string): string {
  const instant = DateTime.fromJSDate(value, { zone: timeZone });
  if (!instant.isValid) throw new RangeError(`cannot format ${value.toISOString()} in time zone "${timeZone}"`);
  return `${instant.setLocale(locale).toFormat('ccc d LLL yyyy, HH:mm')} ${zoneAbbreviation(instant)}`;
}

function plural(amount: number, unit: string): string {
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

/** "4 support hours", "2 business days", "90 support minutes". */
export function formatSupportDuration(duration: SupportDuration): string {
  if (duration.unit === 'days') return plural(duration.amount, 'business day');
  if (duration.amount < 1) return plural(Math.round(duration.amount * 60), 'support minute');
  return plural(Number(duration.amount.toFixed(2)), 'support hour');
}

/** "25 MB", "31.4 MB", "900 KB" (binary units, as mail clients show them). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : Number(value.toFixed(1))} ${units[unit]}`;
}

/**
 * The subject as the topic of a reply: no Re:/Fwd: prefixes, none of our own subject prefixes ("Closed:", "Request
 * closed:", in any shipped language) or hints, no [SR-...] tag, one line.
 */
export function subjectTopic(subject: string): string {
  let topic = subject
    .replace(/\[SR-\d{4}-\d{6,}\]/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  for (;;) {
    const stripped = topic
      .replace(/^(?:re|fwd?|aw|sv|vs|wg|tr|antw)\s*(?:\[\d+\])?\s*:\s*/i, '')
      .replace(ownSubjectPrefix, '')
      .replace(ownSubjectSuffix, '');
    if (stripped === topic || stripped === '') return topic;
    topic = stripped;
  }
}

function registerHelpers(handlebars: typeof Handlebars, mode: Mode): void {
  type HelperOptions = { data?: { locale?: string } };
  const localeOf = (options: HelperOptions | undefined) => options?.data?.locale ?? fallbackLocale;
  handlebars.registerHelper('date', (value: unknown, timeZone: unknown, options: HelperOptions) => {
    const date = toDate(value);
    if (!date) return '';
    const zone = typeof timeZone === 'string' ? timeZone : 'UTC';
    const locale = localeOf(options);
    return mailLanguageOf(locale) === 'en' ? formatInstant(date, zone, locale) : formatInstantIn(date, zone, locale);
  });
  // A calendar day (YYYY-MM-DD) without a time, in the template's language: {{day fee.until}}.
  handlebars.registerHelper('day', (value: unknown, options: HelperOptions) =>
    typeof value === 'string'
      ? formatDayIn(value, localeOf(options))
      : value instanceof Date
        ? formatDayIn(value.toISOString().slice(0, 10), localeOf(options))
        : '',
  );
  handlebars.registerHelper('money', (amountMinor: unknown, currency: unknown, options: HelperOptions) =>
    formatMoney(Number(amountMinor), String(currency), localeOf(options), { display: 'code' }),
  );
  // Durations, lateness, sizes and names in the language of the template set (see locale-format.ts).
  // {{duration span}} in support time; {{duration span aroundTheClock}} in clock hours and calendar days when true.
  handlebars.registerHelper('duration', (span: SupportDuration | null, ...rest: unknown[]) => {
    const options = rest.at(-1) as HelperOptions;
    const aroundTheClock = rest.length > 1 && rest[0] === true;
    return span ? formatSupportDurationIn(span, localeOf(options), { aroundTheClock }) : '';
  });
  handlebars.registerHelper('elapsed', (ms: unknown, options: HelperOptions) => formatElapsedIn(Number(ms), localeOf(options)));
  handlebars.registerHelper('bytes', (bytes: unknown, options: HelperOptions) => formatBytesIn(Number(bytes), localeOf(options)));
  handlebars.registerHelper('topic', (subject: unknown) => subjectTopic(String(subject ?? '')));
  handlebars.registerHelper('targetLabel', (target: unknown, options: HelperOptions) => slaTargetLabelIn(String(target), localeOf(options)));
  handlebars.registerHelper('severityLabel', (severity: unknown, name: unknown, options: HelperOptions) =>
    severityNameIn(String(severity), String(name), localeOf(options)),
  );
  handlebars.registerHelper('closeOutcome', (code: unknown, exclusion: unknown, text: unknown, options: HelperOptions) =>
    closeOutcomeIn(code ? String(code) : undefined, exclusion ? String(exclusion) : undefined, String(text ?? ''), localeOf(options)),
  );
  handlebars.registerHelper('eq', (left: unknown, right: unknown) => left === right);
  // (or a b ...): any of the values is truthy (the last argument is Handlebars' options).
  handlebars.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  handlebars.registerHelper('not', (value: unknown) => !value);
  handlebars.registerHelper('includes', (list: unknown, item: unknown) => Array.isArray(list) && list.includes(item));
  handlebars.registerHelper('paragraphs', (text: unknown) => {
    const value = String(text ?? '').replace(/\r\n?/g, '\n');
    if (mode === 'plain') return value;
    const blocks = value.split(/\n{2,}/).filter((block) => block.trim() !== '');
    const html = blocks.map(
      (block) =>
        `<p>${block
          .split('\n')
          .map((line) => Handlebars.Utils.escapeExpression(line))
          .join('<br>\n')}</p>`,
    );
    return new Handlebars.SafeString(html.join('\n'));
  });
}

function createInstance(mode: Mode): typeof Handlebars {
  const instance = Handlebars.create();
  registerHelpers(instance, mode);
  return instance;
}

interface ResolvedTemplate {
  locale: string;
  parts: Record<TemplatePart, Compiled>;
  /** The partials of the template's locale, by part. */
  partials: Record<PartialPart, Record<string, Compiled>>;
}

/**
 * A renderer bound to one override folder. Files are looked up once per (name, locale), compiled once and cached;
 * edit a template and restart to see the change.
 */
export function createTemplateRenderer(options: TemplateRendererOptions = {}): TemplateRenderer {
  const builtInDir = options.builtInDir ?? builtInTemplatesDir;
  const dirs = options.templatesDir ? [path.resolve(options.templatesDir), builtInDir] : [builtInDir];
  // The HTML instance escapes every {{value}}; the plain one (text and subject) never does.
  const html = createInstance('html');
  const plain = createInstance('plain');
  const resolved = new Map<string, ResolvedTemplate>();
  const partialSets = new Map<string, ResolvedTemplate['partials']>();

  const compile = (file: string, part: TemplatePart): Compiled => {
    const source = fs.readFileSync(file, 'utf8');
    try {
      const instance = part === 'html' ? html : plain;
      // Compiled now, once (Handlebars' compile() would compile again at the first call): a syntax error names its
      // file here rather than mid-render, and warm() at start-up leaves no compiling to the first mail.
      const spec = instance.precompile(source, { noEscape: part !== 'html', strict: false });
      return instance.template(new Function(`return ${spec}`)()) as Compiled;
    } catch (error) {
      throw new DeskbotError('INTERNAL', `Mail template ${file} does not compile: ${(error as Error).message}`, {
        cause: error,
        details: { file },
      });
    }
  };

  const findFile = (locale: string, file: string): string | undefined =>
    dirs.map((dir) => path.join(dir, locale, file)).find((candidate) => fs.existsSync(candidate));

  /**
   * The partials a template of `locale` renders with: each from the first folder of its locale chain that has it (a
   * regional set takes its language's), so a set that overrides no partial keeps the built-in wording of its language.
   */
  const partialsOf = (locale: string): ResolvedTemplate['partials'] => {
    const cached = partialSets.get(locale);
    if (cached) return cached;
    const set: ResolvedTemplate['partials'] = { text: {}, html: {} };
    for (const name of templatePartials) {
      for (const part of partialParts) {
        const relative = path.join(partialsFolder, `${name}.${part}.hbs`);
        const file = localeChain(locale)
          .map((candidate) => findFile(candidate, relative))
          .find((found) => found !== undefined);
        if (!file) {
          throw new DeskbotError('TEMPLATE_MISSING', `Mail template partial missing: ${path.join(builtInDir, fallbackLocale, relative)}`, {
            details: { partial: name, locale, file: path.join(builtInDir, fallbackLocale, relative) },
          });
        }
        set[part][name] = compile(file, part);
      }
    }
    partialSets.set(locale, set);
    return set;
  };

  const resolve = (name: string, locale: string): ResolvedTemplate => {
    const key = `${name}\u0000${locale}`;
    const cached = resolved.get(key);
    if (cached) return cached;
    if (!namePattern.test(name)) {
      throw new DeskbotError('TEMPLATE_MISSING', `Mail template name "${name}" is not valid`, { details: { template: name } });
    }
    // A locale counts only when all three parts exist, so one mail never mixes languages.
    for (const candidate of localeChain(locale)) {
      const files = templateParts.map((part) => findFile(candidate, `${name}.${part}.hbs`));
      if (files.every((file): file is string => file !== undefined)) {
        const [subject, text, htmlFile] = files as [string, string, string];
        const template: ResolvedTemplate = {
          locale: candidate,
          parts: { subject: compile(subject, 'subject'), text: compile(text, 'text'), html: compile(htmlFile, 'html') },
          partials: partialsOf(candidate),
        };
        resolved.set(key, template);
        return template;
      }
    }
    const missing = templateParts.map((part) => `${name}.${part}.hbs`).find((file) => !findFile(fallbackLocale, file));
    const file = path.join(builtInDir, fallbackLocale, missing ?? `${name}.subject.hbs`);
    throw new DeskbotError('TEMPLATE_MISSING', `Mail template missing: ${file} (locale "${locale}", falling back to "${fallbackLocale}")`, {
      details: { template: name, locale, file },
    });
  };

  return {
    async warm(names = templateNames) {
      // Every template deskbot renders, in every locale folder of the built-in and override templates.
      const locales = new Set(
        dirs.flatMap((dir) =>
          fs.existsSync(dir)
            ? fs
                .readdirSync(dir, { withFileTypes: true })
                .filter((entry) => entry.isDirectory())
                .map((entry) => entry.name)
            : [],
        ),
      );
      let warmed = 0;
      for (const name of names) {
        for (const locale of locales) {
          resolve(name, locale);
          warmed += 1;
          await new Promise((next) => setImmediate(next));
        }
      }
      return warmed;
    },
    render(name, locale, data) {
      const template = resolve(name, locale);
      const runtime = { data: { locale: template.locale } };
      return {
        subject: template.parts.subject(data, runtime).replace(/\s+/g, ' ').trim(),
        text: template.parts.text(data, { ...runtime, partials: template.partials.text }),
        html: template.parts.html(data, { ...runtime, partials: template.partials.html }),
        locale: template.locale,
      };
    },
  };
}

const renderers = new Map<string, TemplateRenderer>();

/**
 * Renders `name` in `locale` (falling back to its language, then `en`). Pass `templatesDir` (TEMPLATES_DIR) to let
 * files there override the built-in ones; one cached renderer is kept per folder.
 * Throws DeskbotError TEMPLATE_MISSING naming the file when no locale has all three parts.
 */
export function renderTemplate<N extends TemplateName>(
  name: N,
  locale: string,
  data: TemplateDataMap[N],
  options: { templatesDir?: string | undefined } = {},
): RenderedMail {
  const key = options.templatesDir ? path.resolve(options.templatesDir) : '';
  let renderer = renderers.get(key);
  if (!renderer) {
    renderer = createTemplateRenderer({ templatesDir: options.templatesDir });
    renderers.set(key, renderer);
  }
  return renderer.render(name, locale, data);
}
