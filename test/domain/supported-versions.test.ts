// Pins the supported-versions rule of Cryptzone §2.3 on fixed days: current and previous version releases, only the
// previous version's final maintenance release from one year after the current release, 6 months for the version that
// stops being "previous", and no release older than 2 years.
import { describe, expect, it } from 'vitest';
import { defaultPolicy, resolvePolicy, type Policy } from '../../src/domain/policy.ts';
import { isVersionSupported, normalizeVersion, supportedVersions, type ProductCatalogue } from '../../src/domain/supported-versions.ts';

function productsOf(products: Record<string, unknown>): ProductCatalogue {
  const resolved = resolvePolicy({ products });
  if ('issues' in resolved) throw new Error(JSON.stringify(resolved.issues));
  return (resolved.policy as Policy).products;
}

const products = productsOf({
  // One version release a year or so, none hitting the 2-year limit in the cases below.
  Gate: {
    versions: [
      {
        version: '1.0',
        releasedOn: '2025-01-01',
        maintenanceReleases: [
          { version: '1.1', releasedOn: '2025-03-01' },
          { version: '1.2', releasedOn: '2025-06-01' },
        ],
      },
      { version: '2.0', releasedOn: '2025-09-01', maintenanceReleases: [{ version: '2.1', releasedOn: '2025-11-01' }] },
      { version: '3.0', releasedOn: '2026-03-01' },
    ],
  },
  // Version 3.0 comes more than a year after 2.0, so 1.x was already cut to its final release when it started retiring.
  Slow: {
    versions: [
      { version: '1.0', releasedOn: '2024-01-01', maintenanceReleases: [{ version: '1.1', releasedOn: '2024-02-01' }] },
      { version: '2.0', releasedOn: '2024-06-01' },
      { version: '3.0', releasedOn: '2025-07-01' },
    ],
  },
  // Nothing shipped for years.
  Stale: { versions: [{ version: '1.0', releasedOn: '2020-01-01', maintenanceReleases: [{ version: '1.1', releasedOn: '2020-06-01' }] }] },
});

describe('supportedVersions (Cryptzone §2.3)', () => {
  it.each<{ rule: string; product: string; on: string; expected: Array<[version: string, standing: string, until: string | null]> }>([
    { rule: 'before the first version release nothing exists yet', product: 'Gate', on: '2024-12-31', expected: [] },
    { rule: 'a maintenance release dated after the day does not exist yet', product: 'Gate', on: '2025-02-28', expected: [['1.0', 'current', null]] },
    // Every release but the newest carries its 2-year end (rule 4) as its last known supported day.
    {
      rule: 'current version: every release of it',
      product: 'Gate',
      on: '2025-08-31',
      expected: [
        ['1.0', 'current', '2027-01-01'],
        ['1.1', 'current', '2027-03-01'],
        ['1.2', 'current', null],
      ],
    },
    {
      rule: 'current and previous: a new version release keeps every release of the previous one, until a year after it',
      product: 'Gate',
      on: '2025-09-01',
      expected: [
        ['1.0', 'previous', '2026-08-31'],
        ['1.1', 'previous', '2026-08-31'],
        ['1.2', 'previous', '2027-06-01'],
        ['2.0', 'current', null],
      ],
    },
    {
      rule: 'the version that stops being "previous" keeps 6 months (first day)',
      product: 'Gate',
      on: '2026-03-01',
      expected: [
        ['1.0', 'retiring', '2026-08-31'],
        ['1.1', 'retiring', '2026-08-31'],
        ['1.2', 'retiring', '2026-08-31'],
        ['2.0', 'previous', '2027-02-28'],
        ['2.1', 'previous', '2027-11-01'],
        ['3.0', 'current', null],
      ],
    },
    {
      rule: 'the version that stops being "previous" keeps 6 months (last day)',
      product: 'Gate',
      on: '2026-08-31',
      expected: [
        ['1.0', 'retiring', '2026-08-31'],
        ['1.1', 'retiring', '2026-08-31'],
        ['1.2', 'retiring', '2026-08-31'],
        ['2.0', 'previous', '2027-02-28'],
        ['2.1', 'previous', '2027-11-01'],
        ['3.0', 'current', null],
      ],
    },
    {
      rule: 'after its 6 months the old version is unsupported',
      product: 'Gate',
      on: '2026-09-01',
      expected: [
        ['2.0', 'previous', '2027-02-28'],
        ['2.1', 'previous', '2027-11-01'],
        ['3.0', 'current', null],
      ],
    },
    {
      rule: 'one year after the current release: previous version fully supported on the day before',
      product: 'Gate',
      on: '2027-02-28',
      expected: [
        ['2.0', 'previous', '2027-02-28'],
        ['2.1', 'previous', '2027-11-01'],
        ['3.0', 'current', null],
      ],
    },
    {
      rule: 'one year after the current release: only the final maintenance release of the previous version',
      product: 'Gate',
      on: '2027-03-01',
      expected: [
        ['2.1', 'previous', '2027-11-01'],
        ['3.0', 'current', null],
      ],
    },
    {
      rule: 'previous version cut to its final release when the current one is over a year old',
      product: 'Slow',
      on: '2025-06-30',
      expected: [
        ['1.1', 'previous', '2026-02-01'],
        ['2.0', 'current', null],
      ],
    },
    {
      rule: 'a retiring version keeps only what it had as previous (its final release) for 6 months',
      product: 'Slow',
      on: '2025-07-01',
      expected: [
        ['1.1', 'retiring', '2025-12-31'],
        ['2.0', 'previous', '2026-06-01'],
        ['3.0', 'current', null],
      ],
    },
    {
      rule: 'no release older than 2 years: supported through its second anniversary',
      product: 'Slow',
      on: '2026-06-01',
      expected: [
        ['2.0', 'previous', '2026-06-01'],
        ['3.0', 'current', null],
      ],
    },
    { rule: 'no release older than 2 years: gone the day after', product: 'Slow', on: '2026-06-02', expected: [['3.0', 'current', null]] },
    { rule: 'the newest release of the current version stays supported however old', product: 'Stale', on: '2026-01-01', expected: [['1.1', 'current', null]] },
    {
      rule: 'product names match case-insensitively',
      product: ' gate ',
      on: '2025-08-31',
      expected: [
        ['1.0', 'current', '2027-01-01'],
        ['1.1', 'current', '2027-03-01'],
        ['1.2', 'current', null],
      ],
    },
  ])('$rule ($product on $on)', ({ product, on, expected }) => {
    const supported = supportedVersions(products, product, on)!;
    expect(supported.map((release) => [release.version, release.standing, release.supportedUntil])).toEqual(expected);
  });

  it('a Date is read as its UTC day', () => {
    // 2026-08-31T23:30-05:00 is 2026-09-01 UTC: the retiring 1.x is gone.
    expect(supportedVersions(products, 'Gate', new Date('2026-08-31T23:30:00-05:00'))!.map((release) => release.version)).toEqual(['2.0', '2.1', '3.0']);
  });

  it('marks version and maintenance releases with their version release', () => {
    expect(supportedVersions(products, 'Gate', '2025-11-01')!.filter((release) => release.standing === 'current')).toEqual([
      { version: '2.0', releasedOn: '2025-09-01', versionRelease: '2.0', kind: 'version', standing: 'current', supportedUntil: '2027-09-01' },
      { version: '2.1', releasedOn: '2025-11-01', versionRelease: '2.0', kind: 'maintenance', standing: 'current', supportedUntil: null },
    ]);
  });

  it('a product the policy does not list is null (not checked)', () => {
    expect(supportedVersions(products, 'Kerio Connect', '2026-01-01')).toBeNull();
    expect(supportedVersions(defaultPolicy().products, 'Gate', '2026-01-01')).toBeNull();
  });
});

describe('isVersionSupported', () => {
  it.each([
    { rule: 'a supported maintenance release', product: 'Gate', version: '2.1', on: '2027-03-01', status: 'supported' },
    { rule: 'a release of the previous version cut after a year', product: 'Gate', version: '2.0', on: '2027-03-01', status: 'unsupported' },
    { rule: 'a release that is not out yet on the day', product: 'Gate', version: '3.0', on: '2026-02-28', status: 'unsupported' },
    { rule: '"2.0.0" is the version release 2.0', product: 'Gate', version: '2.0.0', on: '2026-01-01', status: 'supported' },
    { rule: '"v3" is 3.0', product: 'Gate', version: 'v3', on: '2026-03-01', status: 'supported' },
    { rule: 'a version the list does not know', product: 'Gate', version: '2.5', on: '2026-03-01', status: 'unknown-version' },
    { rule: 'a product the list does not know', product: 'Other', version: '1.0', on: '2026-03-01', status: 'unknown-product' },
  ])('$rule → $status', ({ product, version, on, status }) => {
    expect(isVersionSupported(products, product, version, on).status).toBe(status);
  });

  it('an unsupported version comes with the supported list for the acknowledgement', () => {
    const result = isVersionSupported(products, 'Gate', '1.1', '2026-09-01');
    expect(result.status).toBe('unsupported');
    expect('supported' in result && result.supported.map((release) => release.version)).toEqual(['2.0', '2.1', '3.0']);
  });

  it.each([
    ['10.0.0', '10'],
    [' V9.4 ', '9.4'],
    ['9.40', '9.40'],
    ['0', '0'],
  ])('normalizeVersion(%j) = %j', (version, expected) => {
    expect(normalizeVersion(version)).toBe(expected);
  });
});

describe('the shipped example products', () => {
  it('Kerio Control on 2026-11-01: 10.0.x current; a year after 10.0 only 9.4.2 of 9.4 (2 years old on 2026-11-19); 9.3 gone', async () => {
    const { loadPolicy } = await import('../../src/policy-file.ts');
    const example = loadPolicy('examples/policy.yaml');
    expect(supportedVersions(example.products, 'Kerio Control', '2026-11-01')!.map((release) => release.version)).toEqual(['9.4.2', '10.0', '10.0.1']);
  });
});
