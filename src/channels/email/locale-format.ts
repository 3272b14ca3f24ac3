// The words mail templates print around numbers (support durations, lateness, sizes, SLA target and severity names)
// in each language deskbot ships templates for, plus Intl dates for those languages. English keeps its legacy wording.
import { englishElapsedUnits, formatElapsedWith, type ElapsedUnits } from '../../domain/format.ts';
import type { SupportDuration } from '../../domain/policy.ts';
import { requestIdPattern } from '../../domain/request-id.ts';

/** Languages with a template set in templates/<language>/ and wording here. */
export const mailLanguages = ['en', 'de', 'cs', 'sv'] as const;
export type MailLanguage = (typeof mailLanguages)[number];

/** de-AT -> de; any language without wording here -> en. */
export function mailLanguageOf(locale: string): MailLanguage {
  const language = locale.split('-')[0]?.toLowerCase() ?? '';
  return (mailLanguages as readonly string[]).includes(language) ? (language as MailLanguage) : 'en';
}

type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };
type DurationUnit = 'hour' | 'day' | 'minute';

/** Support-time units: hours and minutes of the support calendar, business days of 9 support hours. */
const durationUnits: Record<MailLanguage, Record<DurationUnit, PluralForms>> = {
  en: {
    hour: { one: 'support hour', other: 'support hours' },
    day: { one: 'business day', other: 'business days' },
    minute: { one: 'support minute', other: 'support minutes' },
  },
  de: {
    hour: { one: 'Supportstunde', other: 'Supportstunden' },
    day: { one: 'Werktag', other: 'Werktage' },
    minute: { one: 'Supportminute', other: 'Supportminuten' },
  },
  // Czech needs few (2-4) and many (fractions); nominative, because the Czech templates put durations after a colon.
  cs: {
    hour: { one: 'hodina', few: 'hodiny', many: 'hodiny', other: 'hodin' },
    day: { one: 'pracovní den', few: 'pracovní dny', many: 'pracovního dne', other: 'pracovních dnů' },
    minute: { one: 'minuta', few: 'minuty', many: 'minuty', other: 'minut' },
  },
  sv: {
    hour: { one: 'supporttimme', other: 'supporttimmar' },
    day: { one: 'arbetsdag', other: 'arbetsdagar' },
    minute: { one: 'supportminut', other: 'supportminuter' },
  },
};

/** Units of a target counted around the clock (an always-open calendar): clock hours and minutes, calendar days. */
const clockUnits: Record<MailLanguage, Record<DurationUnit, PluralForms>> = {
  en: { hour: { one: 'hour', other: 'hours' }, day: { one: 'day', other: 'days' }, minute: { one: 'minute', other: 'minutes' } },
  de: { hour: { one: 'Stunde', other: 'Stunden' }, day: { one: 'Tag', other: 'Tage' }, minute: { one: 'Minute', other: 'Minuten' } },
  cs: {
    hour: durationUnits.cs.hour,
    day: { one: 'den', few: 'dny', many: 'dne', other: 'dnů' },
    minute: durationUnits.cs.minute,
  },
  sv: { hour: { one: 'timme', other: 'timmar' }, day: { one: 'dag', other: 'dagar' }, minute: { one: 'minut', other: 'minuter' } },
};

function countOf(amount: number, unit: DurationUnit, language: MailLanguage, units: typeof durationUnits): string {
  if (language === 'en') return `${amount} ${amount === 1 ? units.en[unit].one : units.en[unit].other}`;
  const forms = units[language][unit];
  const category = new Intl.PluralRules(language).select(amount);
  const number = new Intl.NumberFormat(language, { maximumFractionDigits: 2 }).format(amount);
  return `${number} ${forms[category] ?? forms.other}`;
}

/**
 * "4 support hours", "4 Supportstunden", "4 hodiny", "2 arbetsdagar"; with `aroundTheClock` (a target on an
 * always-open calendar, where a day is 24 hours) "2 days", "2 Tage", "2 dny", "2 dagar".
 */
export function formatSupportDurationIn(duration: SupportDuration, locale: string, options: { aroundTheClock?: boolean } = {}): string {
  const language = mailLanguageOf(locale);
  const units = options.aroundTheClock ? clockUnits : durationUnits;
  if (duration.unit === 'days') return countOf(duration.amount, 'day', language, units);
  if (duration.amount < 1) return countOf(Math.round(duration.amount * 60), 'minute', language, units);
  return countOf(Number(duration.amount.toFixed(2)), 'hour', language, units);
}

const elapsedUnits: Record<MailLanguage, ElapsedUnits> = {
  en: englishElapsedUnits,
  de: { day: 'Tg.', hour: 'Std.', minute: 'Min.' },
  cs: { day: 'd', hour: 'h', minute: 'min' },
  sv: { day: 'd', hour: 'tim', minute: 'min' },
};

/** Wall-clock lateness: "2 d 3 h", "2 Tg. 3 Std.", "3 tim 15 min". */
export function formatElapsedIn(ms: number, locale: string): string {
  return formatElapsedWith(ms, elapsedUnits[mailLanguageOf(locale)]);
}

const byteWords: Record<MailLanguage, string> = { en: 'bytes', de: 'Byte', cs: 'B', sv: 'byte' };

/** "31.4 MB" in English, "31,4 MB" in German, Czech and Swedish (binary units, as mail clients show them). */
export function formatBytesIn(bytes: number, locale: string): string {
  const language = mailLanguageOf(locale);
  const units = [byteWords[language], 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const number = unit === 0 ? value : Number(value.toFixed(1));
  return `${language === 'en' ? String(number) : new Intl.NumberFormat(language, { maximumFractionDigits: 1 }).format(number)} ${units[unit]}`;
}

/** One formatter per language and zone: building an Intl.DateTimeFormat costs about a millisecond, using one microseconds. */
const instantFormats = new Map<string, Intl.DateTimeFormat>();

/** "Mo., 23. Nov. 2026, 13:00 GMT-5", "po 23. 11. 2026 19:00 SEČ": Intl's own order and zone name for the language. */
export function formatInstantIn(value: Date, timeZone: string, locale: string): string {
  const language = mailLanguageOf(locale);
  const key = `${language}|${timeZone}`;
  let format = instantFormats.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat(language, {
      timeZone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    if (instantFormats.size >= 1_000) instantFormats.clear();
    instantFormats.set(key, format);
  }
  return format.format(value);
}

/** One date-only formatter per language (a calendar day has no zone: formatted as the UTC day it names). */
const dayFormats = new Map<MailLanguage, Intl.DateTimeFormat>();
const englishMonths = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A calendar day (YYYY-MM-DD, e.g. the last free day of an installation period) in the mail's language: "17 Feb 2027"
 * (as English instants print their day), "17. Februar 2027", "17. února 2027", "17 februari 2027". Anything that is
 * not such a date is returned as given.
 */
export function formatDayIn(isoDate: string, locale: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!match) return isoDate;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return isoDate;
  const language = mailLanguageOf(locale);
  if (language === 'en') return `${day} ${englishMonths[month - 1]} ${year}`;
  let format = dayFormats.get(language);
  if (format === undefined) {
    format = new Intl.DateTimeFormat(language, { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' });
    dayFormats.set(language, format);
  }
  return format.format(date);
}

const slaTargetWords: Record<MailLanguage, Record<string, string>> = {
  en: { 'initial-response': 'Initial response', 'progress-update': 'Progress update', resolution: 'Resolution' },
  de: { 'initial-response': 'Erstreaktion', 'progress-update': 'Statusmeldung', resolution: 'Lösung' },
  cs: { 'initial-response': 'První odezva', 'progress-update': 'Průběžná informace', resolution: 'Vyřešení' },
  sv: { 'initial-response': 'Första svar', 'progress-update': 'Lägesrapport', resolution: 'Lösning' },
};

/** The name of an SLA target (initial-response, progress-update, resolution); unknown targets print as given. */
export function slaTargetLabelIn(target: string, locale: string): string {
  return slaTargetWords[mailLanguageOf(locale)][target] ?? target;
}

/** The built-in severity names of the default policy, by severity. */
const defaultSeverityNames: Record<string, string> = { '5': 'Critical', '4': 'Major', '3': 'Minor', '2': 'Other', '1': 'Feature request' };

const severityWords: Record<Exclude<MailLanguage, 'en'>, Record<string, string>> = {
  de: { '5': 'Kritisch', '4': 'Schwerwiegend', '3': 'Geringfügig', '2': 'Sonstiges', '1': 'Erweiterungswunsch' },
  cs: { '5': 'Kritická', '4': 'Závažná', '3': 'Méně závažná', '2': 'Ostatní', '1': 'Požadavek na rozšíření' },
  sv: { '5': 'Kritisk', '4': 'Allvarlig', '3': 'Mindre allvarlig', '2': 'Övrigt', '1': 'Önskemål om ny funktion' },
};

/**
 * The severity's name in the mail's language when the policy kept the built-in English name; a name the operator set
 * in the policy file is printed as written (deskbot cannot translate it).
 */
export function severityNameIn(severity: number | string, policyName: string, locale: string): string {
  const language = mailLanguageOf(locale);
  const key = String(severity);
  if (language === 'en' || defaultSeverityNames[key] !== policyName) return policyName;
  return severityWords[language][key] ?? policyName;
}

type OutcomeWords = { outcomes: Record<string, string>; excluded: (cause: string) => string; causes: Record<string, string>; anyCause: string };

/** The closing sentence per close outcome (close-ticket's outcomeText says the same in English). */
const outcomeWords: Record<Exclude<MailLanguage, 'en'>, OutcomeWords> = {
  de: {
    outcomes: {
      resolved: 'Das Problem ist behoben.',
      bug: 'Das Problem wird durch einen Produktfehler verursacht; er wurde an unsere Entwicklung gemeldet (oder ist bereits bekannt).',
      rma: 'Die Hardware wird im Rahmen einer Rücksendegenehmigung (RMA) ersetzt.',
      exceptional: 'Die Anfrage konnte im Rahmen des technischen Supports nicht bearbeitet oder gelöst werden.',
      duplicate: 'Diese Anfrage ist ein Duplikat einer anderen Serviceanfrage von Ihnen, die unter ihrer eigenen Nummer weitergeführt wird.',
      documentation: 'Die Frage wird durch die Produktdokumentation beantwortet, auf die wir Sie verwiesen haben.',
    },
    excluded: (cause) => `Ursache des Problems ist ${cause}; dies deckt der technische Support nicht ab.`,
    causes: {
      misuse: 'ein Fehlgebrauch oder eine unsachgemäße Verwendung des Produkts',
      'third-party': 'ein Produkt eines Drittanbieters, das mit dem Produkt eingesetzt wird',
      'unsupported-modification': 'eine Änderung des Produkts, die nicht vom Hersteller stammt',
      'unsupported-version': 'eine Produktversion, die nicht mehr unterstützt wird',
      hardware: 'fehlerhafte oder beschädigte Hardware, auf der das Produkt läuft',
      other: 'ein Umstand, der nicht mit dem Produkt zusammenhängt',
    },
    anyCause: 'ein Umstand außerhalb des Produkts',
  },
  cs: {
    outcomes: {
      resolved: 'Problém je vyřešen.',
      bug: 'Problém způsobuje chyba produktu, kterou jsme nahlásili našim vývojářům (nebo jde o již známou chybu).',
      rma: 'Hardware bude vyměněn v rámci autorizovaného vrácení zboží (RMA).',
      exceptional: 'Požadavek nebylo možné v rámci technické podpory zpracovat ani vyřešit.',
      duplicate: 'Tento požadavek je duplicitní k jinému Vašemu servisnímu požadavku, který pokračuje pod vlastním číslem.',
      documentation: 'Odpověď na dotaz najdete v dokumentaci produktu, na kterou jsme Vás odkázali.',
    },
    excluded: (cause) => `Příčinou problému je ${cause}; na tuto příčinu se technická podpora nevztahuje.`,
    causes: {
      misuse: 'nesprávné nebo nevhodné použití produktu',
      'third-party': 'produkt třetí strany používaný společně s produktem',
      'unsupported-modification': 'úprava produktu provedená někým jiným než výrobcem',
      'unsupported-version': 'verze produktu, která již není podporována',
      hardware: 'vadný nebo poškozený hardware, na kterém produkt běží',
      other: 'okolnost nesouvisející s produktem',
    },
    anyCause: 'okolnost mimo produkt',
  },
  sv: {
    outcomes: {
      resolved: 'Problemet är löst.',
      bug: 'Problemet orsakas av ett fel i produkten, som har rapporterats till våra utvecklare (eller är ett känt fel).',
      rma: 'Hårdvaran byts ut via ett returärende (RMA).',
      exceptional: 'Ärendet kunde inte hanteras eller lösas inom ramen för den tekniska supporten.',
      duplicate: 'Ärendet är en dubblett av ett annat supportärende, som fortsätter under sitt eget nummer.',
      documentation: 'Frågan besvaras av den produktdokumentation som vi har hänvisat till.',
    },
    excluded: (cause) => `Problemet orsakas av ${cause}, vilket inte omfattas av den tekniska supporten.`,
    causes: {
      misuse: 'felaktig eller olämplig användning av produkten',
      'third-party': 'produkter från tredje part som används tillsammans med produkten',
      'unsupported-modification': 'en ändring av produkten som inte har gjorts av leverantören',
      'unsupported-version': 'en produktversion som inte längre stöds',
      hardware: 'felaktig eller skadad hårdvara som produkten körs på',
      other: 'något som inte har med produkten att göra',
    },
    anyCause: 'något utanför produkten',
  },
};

/**
 * How a request ended, in the mail's language: the sentence for a known close outcome (and exclusion), else `text` as
 * given (English mail, or an outcome this table does not know).
 */
export function closeOutcomeIn(outcome: string | undefined, exclusion: string | undefined, text: string, locale: string): string {
  const language = mailLanguageOf(locale);
  if (language === 'en' || !outcome) return text;
  const words = outcomeWords[language];
  if (outcome === 'excluded') return words.excluded((exclusion && words.causes[exclusion]) || words.anyCause);
  return words.outcomes[outcome] ?? text;
}

const requestTag = requestIdPattern.source;

/**
 * The words our own subjects put before the topic (templates/<language>/*.subject.hbs), each language, so the topic
 * of a mail that answers one of ours does not stack them ("Request closed: Closed: …"). Keep in step with the templates.
 */
const ownSubjectPrefixes: readonly string[] = [
  // en
  'request closed',
  'closed',
  'licence number needed',
  'information needed',
  'information received',
  'request complete',
  'our support terms',
  'your message was too large',
  'service suspended',
  `new service request ${requestTag}, split from ${requestTag}`,
  // de
  'anfrage abgeschlossen',
  'abgeschlossen',
  'lizenznummer benötigt',
  'angaben benötigt',
  'angaben erhalten',
  'anfrage vollständig',
  'unsere supportbedingungen',
  'ihre nachricht war zu groß',
  'support ausgesetzt',
  `neue serviceanfrage ${requestTag}, abgetrennt von ${requestTag}`,
  // cs
  'požadavek je uzavřen',
  'uzavřeno',
  'potřebujeme číslo licence',
  'potřebujeme doplnit údaje',
  'údaje přijaty',
  'požadavek úplný',
  'naše podmínky podpory',
  'vaše zpráva byla příliš velká',
  'podpora je pozastavena',
  `nový servisní požadavek ${requestTag}, oddělený od ${requestTag}`,
  // sv
  'ärendet är avslutat',
  'avslutat',
  'licensnummer behövs',
  'uppgifter behövs',
  'uppgifter mottagna',
  'ärendet komplett',
  'våra supportvillkor',
  'meddelandet var för stort',
  'supporten är pausad',
  `nytt supportärende ${requestTag}, avskilt från ${requestTag}`,
];

/** One of our own subject prefixes with its colon, at the start of a subject. */
export const ownSubjectPrefix = new RegExp(String.raw`^(?:${ownSubjectPrefixes.join('|')})\s*:\s*`, 'iu');

/** The hint not-eligible adds after the topic, in each language. */
export const ownSubjectSuffix = /\s*\((?:how to get support|so erhalten Sie Support|jak získat podporu|information om support)\)$/iu;
