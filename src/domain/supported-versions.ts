// Which releases of a product are supported on a given day, by the rule of Cryptzone §2.3 (Kerio ToS 2.5 lets the
// vendor end support), from the policy's `products:` list. Pure: the day comes in; telling the customer and flagging
// the triage message is the wiring's work. Leaves out the §2.3 "exceptions posted on the website": put them in the list.
import { DateTime } from 'luxon';
import type { IsoDate } from './directory.ts';
import { addDays, utcIsoDate } from './iso-date.ts';
import type { Policy, ProductReleases } from './policy.ts';

/** The policy's products by name. */
export type ProductCatalogue = Policy['products'];

/**
 * Why a release is supported on the day:
 * - `current`: a release of the latest version release;
 * - `previous`: a release of the version before it (only its final maintenance release from one year after the
 *   current version came out);
 * - `retiring`: the version that stopped being "previous" when the current one came out keeps 6 months.
 */
export type SupportStanding = 'current' | 'previous' | 'retiring';

export interface SupportedRelease {
  version: string;
  releasedOn: IsoDate;
  /** The version release this release belongs to (itself for a version release). */
  versionRelease: string;
  kind: 'version' | 'maintenance';
  standing: SupportStanding;
  /** The last supported day as far as the list knows today; null while no end is scheduled. */
  supportedUntil: IsoDate | null;
}

type Release = { version: string; releasedOn: IsoDate; versionRelease: string; kind: 'version' | 'maintenance' };
type VersionRelease = ProductReleases['versions'][number];

function addMonths(date: IsoDate, months: number): IsoDate {
  return DateTime.fromISO(date, { zone: 'utc' }).plus({ months }).toISODate() ?? date;
}

function findProduct(products: ProductCatalogue, product: string): ProductReleases | undefined {
  const wanted = product.trim().toLowerCase();
  const name = Object.keys(products).find((known) => known.trim().toLowerCase() === wanted);
  return name === undefined ? undefined : products[name];
}

/** The releases of one version published by `day`, oldest first: the version release, then its maintenance releases. */
function releasesOf(versionRelease: VersionRelease, day: IsoDate): Release[] {
  const own: Release = { version: versionRelease.version, releasedOn: versionRelease.releasedOn, versionRelease: versionRelease.version, kind: 'version' };
  const maintenance = versionRelease.maintenanceReleases
    .filter((release) => release.releasedOn <= day)
    .map((release): Release => ({ version: release.version, releasedOn: release.releasedOn, versionRelease: versionRelease.version, kind: 'maintenance' }))
    .sort((a, b) => (a.releasedOn < b.releasedOn ? -1 : a.releasedOn > b.releasedOn ? 1 : 0));
  return [own, ...maintenance];
}

/**
 * The releases of the "previous" version supported on `day` while `current` is the current version: all of them
 * until the day before one year after `current` came out, then only its final maintenance release (the version
 * release itself when it has none).
 */
function previousReleases(previous: VersionRelease, current: VersionRelease, day: IsoDate): Array<Release & { until: IsoDate | null }> {
  const releases = releasesOf(previous, day);
  const limitFrom = addMonths(current.releasedOn, 12);
  // releasesOf always starts with the version release, so `final` is at least that.
  const final = releases[releases.length - 1] as Release;
  if (day >= limitFrom) return [{ ...final, until: null }];
  return releases.map((release) => ({ ...release, until: release === final ? null : addDays(limitFrom, -1) }));
}

/**
 * Every release of `product` supported on `onDate` (a Date is read as its UTC day), oldest first; null when the
 * policy does not list the product. The rule of Cryptzone §2.3:
 * 1. the current version release (the latest released by that day) and the previous one are supported, with every
 *    maintenance release published for them;
 * 2. from one year after the current version's release, only the final maintenance release of the previous version;
 * 3. the version that was "previous" until the current one came out keeps the releases it had for 6 months (supported
 *    through the day before current's release + 6 months);
 * 4. no release older than 2 years is supported (through its second anniversary) — except the newest release of the current version, so a product
 *    that has not shipped for two years is not left with nothing supported (our reading; the terms assume about
 *    one version release a year).
 * Releases dated after `onDate` do not exist yet.
 */
export function supportedVersions(products: ProductCatalogue, product: string, onDate: Date | IsoDate): SupportedRelease[] | null {
  const entry = findProduct(products, product);
  if (entry === undefined) return null;
  const day = typeof onDate === 'string' ? onDate : utcIsoDate(onDate);
  const released = entry.versions.filter((version) => version.releasedOn <= day).sort((a, b) => (a.releasedOn < b.releasedOn ? -1 : 1));
  const current = released.at(-1);
  if (current === undefined) return [];
  const previous = released.at(-2);
  const retired = released.at(-3);
  const supported: SupportedRelease[] = [];
  const add = (release: Release, standing: SupportStanding, until: IsoDate | null): void => {
    supported.push({ ...release, standing, supportedUntil: until });
  };
  if (retired !== undefined && previous !== undefined) {
    const retiringUntil = addDays(addMonths(current.releasedOn, 6), -1);
    if (day <= retiringUntil) {
      // What it had as "previous" on the last day before the current version came out.
      for (const release of previousReleases(retired, previous, addDays(current.releasedOn, -1))) add(release, 'retiring', retiringUntil);
    }
  }
  if (previous !== undefined) for (const release of previousReleases(previous, current, day)) add(release, 'previous', release.until);
  for (const release of releasesOf(current, day)) add(release, 'current', null);
  const newest = supported[supported.length - 1];
  return supported
    .map((release) => {
      if (release === newest) return release;
      // Two years old on its second anniversary, older than two years from the day after.
      const ageLimit = addMonths(release.releasedOn, 24);
      return release.supportedUntil === null || ageLimit < release.supportedUntil ? { ...release, supportedUntil: ageLimit } : release;
    })
    .filter((release) => release.supportedUntil === null || day <= release.supportedUntil);
}

/** A version as compared: trimmed, lower-case, without a leading "v", trailing ".0" parts dropped ("10.0.0" = "10"). */
export function normalizeVersion(version: string): string {
  const parts = version
    .trim()
    .toLowerCase()
    .replace(/^v(?=\d)/, '')
    .split('.');
  while (parts.length > 1 && /^0+$/.test(parts[parts.length - 1] ?? '')) parts.pop();
  return parts.join('.');
}

export type VersionSupport =
  | { status: 'supported'; release: SupportedRelease; supported: SupportedRelease[] }
  /** A listed release that is no longer (or not yet) supported on the day. */
  | { status: 'unsupported'; supported: SupportedRelease[] }
  /** The product is listed but the version is not among its releases. */
  | { status: 'unknown-version'; supported: SupportedRelease[] }
  /** The policy lists no such product: versions are not checked. */
  | { status: 'unknown-product' };

/**
 * Whether `version` of `product` is supported on `onDate` (supportedVersions), with the supported list for the
 * acknowledgement ("supported versions are …"). Versions match after normalizeVersion ("9.4.0" is "9.4").
 */
export function isVersionSupported(products: ProductCatalogue, product: string, version: string, onDate: Date | IsoDate): VersionSupport {
  const supported = supportedVersions(products, product, onDate);
  if (supported === null) return { status: 'unknown-product' };
  const wanted = normalizeVersion(version);
  const release = supported.find((candidate) => normalizeVersion(candidate.version) === wanted);
  if (release !== undefined) return { status: 'supported', release, supported };
  const listed = (findProduct(products, product)?.versions ?? []).some(
    (versionRelease) =>
      normalizeVersion(versionRelease.version) === wanted ||
      versionRelease.maintenanceReleases.some((maintenance) => normalizeVersion(maintenance.version) === wanted),
  );
  return listed ? { status: 'unsupported', supported } : { status: 'unknown-version', supported };
}
