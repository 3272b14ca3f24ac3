// Directory records as the policy engine sees them: customers, their licences and eligible callers, and partners.
// Storage maps its rows into these shapes; domain code never sees Prisma types.
import type { Currency } from './policy.ts';

export const supportLevels = ['normal', 'plus'] as const;
export type SupportLevel = (typeof supportLevels)[number];

export const licenceTypes = ['commercial', 'trial'] as const;
export type LicenceType = (typeof licenceTypes)[number];

/** A calendar day (YYYY-MM-DD) with no time of day; compared as strings. */
export type IsoDate = string;

export interface Licence {
  number: string;
  product: string;
  type: LicenceType;
  registeredOn: IsoDate;
  maintenanceUntil: IsoDate | null;
  trialEndsOn: IsoDate | null;
}

export interface EligibleCaller {
  email: string;
  name: string;
}

/** A customer whose service is suspended (Kerio ToS 2.4.3 and 9: e.g. non-payment); its callers get a notice, no ticket. */
export interface CustomerSuspension {
  /** The first day of the suspension. */
  since: IsoDate;
  /** Why, for engineers and the triage channel; the customer's notice uses a fixed text. */
  reason: string;
}

export interface Customer {
  key: string;
  name: string;
  supportLevel: SupportLevel;
  calendar: string;
  currency: Currency;
  isPartner: boolean;
  /** Set while service is suspended; absent or null otherwise (optional until storage keeps it). */
  suspended?: CustomerSuspension | null;
  /** The customer agreed to the paid-support terms (recorded by deskbot, not imported); absent = not known to have agreed. */
  termsAgreed?: boolean;
  locale: string;
  licences: Licence[];
  eligibleCallers: EligibleCaller[];
}

export interface Partner {
  partnerId: string;
  name: string;
  /** Full addresses or "@domain" entries, lower-cased. */
  contacts: string[];
  currency: Currency;
  locale: string;
}

/** What eligibility needs to know; a store may fill only the records relevant to one sender. */
export interface Directory {
  customers: Customer[];
  partners: Partner[];
}
