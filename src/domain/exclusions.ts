// The causes that put an incident outside support (Kerio ToS 2.3 a-g, Cryptzone §2.4.2, §7 and §10), each with a stable
// id (stored on closed tickets: never rename one), a short label for engineers and one fixed sentence for the customer.
// Pure data; deciding the charge of an excluded closure is billing.ts.

/** One excluded cause: where the terms name it, what engineers pick, what the customer reads. */
export interface ExclusionEntry {
  /** Clauses naming the cause: "Kerio 2.3(b)" is terms/000 Terms of Service, "Cryptzone §10" terms/004. */
  clauses: readonly string[];
  /** Slack option text (at most 75 characters) and the noun phrase the Slack notices use. */
  label: string;
  /** The closure mail's sentence: fixed, customer-facing, never an engineer's note. */
  customerText: string;
}

/**
 * Every excluded cause, in the order engineers see them. Ids are stored on closed tickets and charge decisions;
 * `misuse`, `third-party`, `unsupported-modification`, `unsupported-version`, `hardware` and `other` predate the others.
 */
export const exclusionCatalogue = {
  'eula-breach': {
    clauses: ['Kerio 2.3(a)', 'Kerio 9', 'Cryptzone §7(6)'],
    label: 'a breach of the licence agreement (EULA) or hardware sale agreement',
    customerText: 'The problem arose from use of the product outside the terms of its licence agreement (EULA) or hardware sale agreement.',
  },
  'force-majeure': {
    clauses: ['Kerio 2.3(b)', 'Cryptzone §10'],
    label: 'an accident, natural disaster or other force majeure',
    customerText: 'The problem was caused by an accident, a natural disaster or another event beyond anyone’s control (force majeure).',
  },
  'power-environment': {
    clauses: ['Kerio 2.3(b)', 'Cryptzone §10'],
    label: 'a power failure, electrical stress or failed cooling or humidity control',
    customerText:
      'The problem was caused by a power cut, lightning or other electrical, physical or electromagnetic stress, ' +
      'or by failed air conditioning or humidity control.',
  },
  negligence: {
    clauses: ['Kerio 2.3(b)', 'Cryptzone §7(7)'],
    label: 'neglect or negligence in operating the product',
    customerText: 'The problem was caused by neglect or negligence in operating the product.',
  },
  'improper-installation': {
    clauses: ['Kerio 2.3(c)'],
    label: 'an improper installation by the customer or its representative',
    customerText: 'The problem was caused by an installation that did not follow the product’s installation instructions.',
  },
  misuse: {
    clauses: ['Kerio 2.3(b)', 'Kerio 2.3(d)'],
    label: 'misuse or improper use of the product',
    customerText: 'The problem was caused by using the product in a way its documentation does not provide for.',
  },
  'unsupported-modification': {
    clauses: ['Kerio 2.3(e)', 'Cryptzone §7(4)', 'Cryptzone §10'],
    label: 'a modification of the product by someone other than the vendor',
    customerText: 'The problem was caused by a modification, alteration or addition to the product made by someone other than the vendor.',
  },
  'environment-change': {
    clauses: ['Cryptzone §10', 'Cryptzone §2.4.2'],
    label: 'a change to the environment, host, files or databases the product uses',
    customerText:
      'The problem was caused by a change, made by someone other than the vendor, to the environment the product runs in ' +
      '(its host, hardware, files or databases).',
  },
  'virtual-host': {
    clauses: ['Cryptzone §2.4.2'],
    label: 'the virtual machine host or its software',
    customerText:
      'The problem lies in the virtual machine host, its hardware or its virtualisation software, or in performance other than on a clean virtual machine.',
  },
  'third-party': {
    clauses: ['Kerio 2.3(b)', 'Kerio 2.3(f)', 'Cryptzone §7(3)', 'Cryptzone §10'],
    label: 'third-party products used with the product',
    customerText: 'The problem lies in a third-party product used together with ours, which our support does not cover.',
  },
  hardware: {
    clauses: ['Kerio 2.3(f)', 'Cryptzone §7(1)', 'Cryptzone §10'],
    label: 'faulty or damaged hardware or media the product runs on',
    customerText: 'The problem was caused by faulty or damaged hardware, media or accessories the product runs on or uses.',
  },
  'unsupported-version': {
    clauses: ['Cryptzone §2.3', 'Cryptzone §7(5)', 'Kerio 2.5'],
    label: 'a product version that is no longer supported',
    customerText: 'The problem concerns a product version that is no longer supported; supported versions are listed in our support terms.',
  },
  'custom-application': {
    clauses: ['Cryptzone §7(2)'],
    label: "the customer's own application built on the product",
    customerText: 'The problem lies in an application developed with the product rather than in the product itself.',
  },
  consultancy: {
    clauses: ['Cryptzone §10'],
    label: 'deployment advice or an installation talk-through (consultancy)',
    customerText: 'The request was for deployment advice or a talk-through of an installation or upgrade, which is consultancy rather than support.',
  },
  'customer-data': {
    clauses: ['Cryptzone §10', 'Cryptzone §9'],
    label: 'off-appliance configuration data, scripts or backups',
    customerText:
      'The problem concerns the handling of configuration data, scripts or backups kept off the appliance, which remains the customer’s responsibility.',
  },
  other: {
    clauses: ['Kerio 2.3(g)'],
    label: 'a cause not related to the product',
    customerText: 'The problem was caused by something not related to our product.',
  },
} as const satisfies Record<string, ExclusionEntry>;

export type Exclusion = keyof typeof exclusionCatalogue;

/** Every exclusion id, in catalogue order. */
export const exclusionIds = Object.keys(exclusionCatalogue) as [Exclusion, ...Exclusion[]];

/** Id → label, the shape Slack's close modal, the `/support close` parser and the close use case read. */
export const exclusions = Object.fromEntries(exclusionIds.map((id) => [id, exclusionCatalogue[id].label])) as { readonly [Id in Exclusion]: string };

/** Whether `value` is a known exclusion id (own keys only: "toString" is not one). */
export function isExclusion(value: unknown): value is Exclusion {
  return typeof value === 'string' && Object.hasOwn(exclusionCatalogue, value);
}

/** The closure mail's fixed sentence for an excluded cause. */
export function exclusionCustomerText(exclusion: Exclusion): string {
  return exclusionCatalogue[exclusion].customerText;
}
