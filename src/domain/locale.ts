// Locale tags as deskbot uses them (templates/<locale>/, a customer's locale, texts by locale in the policy): which
// tags are valid and in which order a lookup falls back. Pure: the template renderer and the policy both read it.

/** Locale every lookup ends with. */
export const fallbackLocale = 'en';

/** A locale tag deskbot accepts: a 2-3 letter language, then subtags (de, de-AT, zh-hant-tw). */
export const localeTagPattern = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/i;

/** de-AT -> [de-AT, de, en]. Anything that is not a locale tag falls back to en. */
export function localeChain(locale: string): string[] {
  const chain: string[] = [];
  if (localeTagPattern.test(locale)) {
    const parts = locale.split('-');
    for (let length = parts.length; length > 0; length -= 1) chain.push(parts.slice(0, length).join('-'));
  }
  if (!chain.includes(fallbackLocale)) chain.push(fallbackLocale);
  return chain;
}
