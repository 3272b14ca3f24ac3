// Directory import: idempotent, all-or-nothing, errors that name the file, the record and the field.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDirectoryFile } from '../../src/app/import-directory.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { createDirectoryRepository } from '../../src/store/directory-repository.ts';
import { backends } from '../helpers/backends.ts';
import { storeAccess } from '../../src/store/transactor.ts';
import { scratchFiles } from '../helpers/scratch-files.ts';

const policy = defaultPolicy();
const exampleFile = path.resolve('examples/directory.yaml');
const { dir: tmp, write } = scratchFiles('import');

describe.each(backends)('directory import on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  let directory: ReturnType<typeof createDirectoryRepository>;
  beforeAll(async () => {
    if (!backend.available) return;
    opened = await backend.open();
    directory = createDirectoryRepository(opened.database.prisma);
  });
  afterAll(async () => opened?.dispose());

  it.skipIf(!backend.available)('imports the example and re-importing updates without duplicating', async () => {
    const first = await importDirectoryFile(exampleFile, { repositories: storeAccess(opened.database, policy).repositories, policy });
    expect(first.summary.customers).toEqual({ created: 3, updated: 0 });
    expect(first.summary.partners).toEqual({ created: 1, updated: 0 });
    expect(first.warnings.map((warning) => warning.record)).toEqual(['customers[2] (TRYCO)']);
    const second = await importDirectoryFile(exampleFile, { repositories: storeAccess(opened.database, policy).repositories, policy });
    expect(second.summary.customers).toEqual({ created: 0, updated: 3 });
    expect(second.summary.eligibleCallers).toMatchObject({ created: 0, removed: 0, kept: 7 });
    expect(await directory.countAll()).toEqual({ customers: 3, licences: 3, eligibleCallers: 7, partners: 1 });
    const acme = await directory.findCustomer('ACME');
    expect(acme?.licences[0]).toEqual({
      number: '27A3-9F10-4C2B',
      product: 'Kerio Connect',
      type: 'commercial',
      registeredOn: '2026-01-15',
      maintenanceUntil: '2036-01-15',
      trialEndsOn: null,
    });
  });

  it.skipIf(!backend.available)("replaces a customer's eligible callers with the listed ones", async () => {
    const file = write(
      'callers-change.yaml',
      `customers:
  - key: ACME
    name: Acme Corporation
    calendar: US
    currency: USD
    eligibleCallers:
      - { email: OPS@Acme.Example, name: Ana Ops }
      - { email: new@acme.example, name: New Person }
      - { email: third@acme.example, name: Third Person }
`,
    );
    const result = await importDirectoryFile(file, { repositories: storeAccess(opened.database, policy).repositories, policy });
    expect(result.summary.eligibleCallers).toEqual({ created: 2, removed: 2, kept: 1 });
    const acme = await directory.findCustomer('ACME');
    expect(acme?.name).toBe('Acme Corporation');
    expect(acme?.eligibleCallers.map((caller) => caller.email).sort()).toEqual(['new@acme.example', 'ops@acme.example', 'third@acme.example']);
    expect(acme?.licences).toHaveLength(1);
  });

  it.skipIf(!backend.available)('keeps the stored callers of a customer whose entry lists none; an empty list removes them', async () => {
    const { repositories } = storeAccess(opened.database, policy);
    const callersOf = async (key: string) => ((await directory.findCustomer(key))?.eligibleCallers ?? []).map((caller) => caller.email).sort();
    const licencesOnly = write(
      'licences-only.yaml',
      `customers:
  - key: KEEPCO
    name: Keep Co
    calendar: US
    currency: USD
    eligibleCallers:
      - { email: one@keep.example, name: One }
      - { email: two@keep.example, name: Two }
      - { email: three@keep.example, name: Three }
`,
    );
    await importDirectoryFile(licencesOnly, { repositories, policy });
    const update = write(
      'licences-update.yaml',
      `customers:
  - key: KEEPCO
    name: Keep Co Renamed
    calendar: US
    currency: USD
    licences:
      - { number: "KEEP-0001", product: Kerio Connect, type: commercial, registeredOn: 2026-01-15, maintenanceUntil: 2027-01-15 }
  - key: FRESHCO
    name: Fresh Co
    calendar: US
    currency: USD
`,
    );
    const updated = await importDirectoryFile(update, { repositories, policy });
    expect(updated.summary.eligibleCallers).toEqual({ created: 0, removed: 0, kept: 3 });
    expect(await callersOf('KEEPCO')).toEqual(['one@keep.example', 'three@keep.example', 'two@keep.example']);
    expect((await directory.findCustomer('KEEPCO'))?.licences.map((licence) => licence.number)).toEqual(['KEEP-0001']);
    // No "fewer than 3" warning for the stored customer; the new one, created without callers, is named.
    expect(updated.warnings).toEqual([
      {
        record: 'customers[1] (FRESHCO)',
        field: 'eligibleCallers',
        message: 'a new customer with no eligibleCallers: its mail is refused as not eligible until callers are imported',
      },
    ]);
    const emptied = write('callers-emptied.yaml', 'customers:\n  - { key: KEEPCO, name: Keep Co, calendar: US, currency: USD, eligibleCallers: [] }\n');
    const cleared = await importDirectoryFile(emptied, { repositories, policy });
    expect(cleared.summary.eligibleCallers).toEqual({ created: 0, removed: 3, kept: 0 });
    expect(await callersOf('KEEPCO')).toEqual([]);
    expect(cleared.warnings.map((warning) => warning.message)).toEqual(['only 0 eligible callers; the terms expect at least 3']);
  });

  it.skipIf(!backend.available)('updates a stored record with what its entry gives, keeping the fields it leaves out', async () => {
    const { repositories } = storeAccess(opened.database, policy);
    const importText = async (name: string, text: string) => importDirectoryFile(write(name, text), { repositories, policy });
    const stored = async (key: string) => {
      const customer = await directory.findCustomer(key);
      return (
        customer && {
          supportLevel: customer.supportLevel,
          isPartner: customer.isPartner,
          suspended: customer.suspended,
          locale: customer.locale,
          licence: customer.licences[0],
        }
      );
    };
    const storedPartner = async () => (await directory.findForSender({ email: 'x@nowhere.example', partnerIds: ['PKEEP'], licenceNumbers: [] })).partners[0];
    await importText(
      'full.yaml',
      `customers:
  - key: PLUSCO
    name: Plus Co
    supportLevel: plus
    calendar: US
    currency: USD
    partner: true
    suspended: { since: 2026-11-01, reason: Invoice unpaid }
    locale: de
    licences:
      - { number: "PLUS-1", product: Kerio Connect, type: commercial, registeredOn: 2026-01-15, maintenanceUntil: 2027-01-15 }
    eligibleCallers: [{ email: a@plus.example, name: A }]
partners:
  - { partnerId: PKEEP, name: Keep Partner, contacts: ["@pkeep.example"], currency: EUR, locale: de }
`,
    );
    const partial = `customers:
  - key: PLUSCO
    name: Plus Co Renamed
    calendar: US
    currency: USD
    licences:
      - { number: "PLUS-1", product: Kerio Connect, type: commercial, registeredOn: 2026-01-15 }
  - key: NEWCO2
    name: New Co
    calendar: US
    currency: USD
    licences:
      - { number: "NEW-1", product: Kerio Connect, type: commercial, registeredOn: 2026-01-15 }
partners:
  - { partnerId: PKEEP, name: Keep Partner Renamed, contacts: ["@pkeep.example"] }
`;
    await importText('partial.yaml', partial);
    expect(await stored('PLUSCO')).toMatchObject({
      supportLevel: 'plus',
      isPartner: true,
      suspended: { since: '2026-11-01', reason: 'Invoice unpaid' },
      locale: 'de',
      licence: { maintenanceUntil: '2027-01-15' },
    });
    expect((await directory.findCustomer('PLUSCO'))?.name).toBe('Plus Co Renamed');
    expect(await storedPartner()).toMatchObject({ name: 'Keep Partner Renamed', currency: 'EUR', locale: 'de' });
    // A new customer from the same partial entry gets the defaults.
    const defaults = { supportLevel: 'normal', isPartner: false, suspended: null, locale: 'en', licence: { maintenanceUntil: null } };
    expect(await stored('NEWCO2')).toMatchObject(defaults);
    // Explicit values replace the stored ones, null included.
    await importText(
      'explicit.yaml',
      `customers:
  - key: PLUSCO
    name: Plus Co
    supportLevel: normal
    calendar: US
    currency: USD
    partner: false
    suspended: null
    locale: en
    licences:
      - { number: "PLUS-1", product: Kerio Connect, type: commercial, registeredOn: 2026-01-15, maintenanceUntil: null }
`,
    );
    expect(await stored('PLUSCO')).toMatchObject(defaults);
  });

  it.skipIf(!backend.available)('imports nothing when one record is bad, naming file, record and field', async () => {
    const before = await directory.countAll();
    const file = write(
      'bad.yaml',
      `customers:
  - key: NEWCO
    name: New Co
    calendar: US
    currency: USD
    eligibleCallers: [{ email: a@newco.example, name: A }]
  - key: BROKEN
    name: Broken Inc
    calendar: US
    currency: USD
    licences:
      - { number: "X-1", product: P, type: trial, registeredOn: 2026-02-30 }
`,
    );
    const { repositories } = storeAccess(opened.database, policy);
    const error = await importDirectoryFile(file, { repositories, policy }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'DIRECTORY_INVALID' });
    const message = (error as Error).message;
    expect(message).toContain(file);
    expect(message).toContain('customers[1] (BROKEN): licences[0].registeredOn: not a real calendar date');
    expect(message).toContain('customers[1] (BROKEN): licences[0].trialEndsOn: required for trial licences');
    expect(await directory.countAll()).toEqual(before);
    expect(await directory.findCustomer('NEWCO')).toBeNull();
  });

  it.skipIf(!backend.available)('names the YAML line of each bad field, or of its record when the field is missing', async () => {
    const file = write(
      'lines.yaml',
      `customers:
  - key: LINES
    name: Lines Inc

    calendar: US
    currency: JPY
    licences:
      - number: L-1
        product: P
        type: trial
        registeredOn: 2026-02-30
  - { key: LINES, name: Again, calendar: US, currency: USD }
`,
    );
    const error = await importDirectoryFile(file, { repositories: storeAccess(opened.database, policy).repositories, policy }).catch(
      (caught: unknown) => caught,
    );
    const message = (error as Error).message;
    expect(message).toContain(`${file}: customers[0] (LINES): currency: Invalid option: expected one of "USD"|"EUR"|"GBP"|"CZK"|"AUD" (line 6)`);
    expect(message).toContain(`${file}: customers[0] (LINES): licences[0].registeredOn: not a real calendar date (line 11)`);
    expect(message).toContain(`${file}: customers[0] (LINES): licences[0].trialEndsOn: required for trial licences (line 8)`);
  });

  it.skipIf(!backend.available)('refuses a licence whose maintenance ends before it was registered, naming customer, licence and line', async () => {
    const before = await directory.countAll();
    const file = write(
      'maintenance-before-registration.yaml',
      `customers:
  - key: SWAPPED
    name: Swapped Dates Ltd
    calendar: US
    currency: USD
    licences:
      - number: SW-0001
        product: Gateway
        type: commercial
        registeredOn: 2026-03-01
        maintenanceUntil: 2025-03-01
`,
    );
    const error = await importDirectoryFile(file, { repositories: storeAccess(opened.database, policy).repositories, policy }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'DIRECTORY_INVALID' });
    expect((error as Error).message).toContain(
      `${file}: customers[0] (SWAPPED): licences[0].maintenanceUntil: 2025-03-01 is before registeredOn 2026-03-01 (licence SW-0001) (line 11)`,
    );
    expect(await directory.countAll()).toEqual(before);
    expect(await directory.findCustomer('SWAPPED')).toBeNull();
  });

  it.skipIf(!backend.available)('rejects more than five eligible callers, unknown fields, calendars and currencies', async () => {
    const callers = Array.from({ length: 6 }, (_, index) => `      - { email: c${index}@big.example, name: Caller ${index} }`).join('\n');
    const cases: [string, string, string][] = [
      [
        'six callers',
        `customers:\n  - key: BIG\n    name: Big\n    calendar: US\n    currency: USD\n    eligibleCallers:\n${callers}\n`,
        'customers[0] (BIG): eligibleCallers: 6 eligible callers; at most 5 allowed',
      ],
      ['unknown calendar', 'customers:\n  - { key: C1, name: C, calendar: MARS, currency: USD }\n', 'customers[0] (C1): calendar: unknown calendar "MARS"'],
      ['bad currency', 'customers:\n  - { key: C2, name: C, calendar: US, currency: JPY }\n', 'customers[0] (C2): currency:'],
      ['unknown field', 'customers:\n  - { key: C3, name: C, calendar: US, currency: USD, colour: red }\n', 'customers[0] (C3): (record):'],
      [
        'bad partner contact',
        'partners:\n  - { partnerId: KP-1, name: P, contacts: [not-an-address] }\n',
        'partners[0] (KP-1): contacts[0]: expected an address or "@domain"',
      ],
      [
        'bad caller e-mail',
        'customers:\n  - key: C4\n    name: C\n    calendar: US\n    currency: USD\n    eligibleCallers: [{ email: nope, name: N }]\n',
        'customers[0] (C4): eligibleCallers[0].email: not a valid e-mail address',
      ],
      [
        'duplicate key',
        'customers:\n  - { key: D, name: D, calendar: US, currency: USD }\n  - { key: D, name: D2, calendar: US, currency: USD }\n',
        'customers[1] (D): key: duplicate of customers[0]',
      ],
      ['broken YAML', 'customers: [ { key: X\n', '(file): (yaml):'],
    ];
    for (const [label, text, expected] of cases) {
      const file = write(`${label.replace(/\s/g, '-')}.yaml`, text);
      await expect(importDirectoryFile(file, { repositories: storeAccess(opened.database, policy).repositories, policy }), label).rejects.toThrow(expected);
    }
    await expect(
      importDirectoryFile(path.join(tmp, 'missing.yaml'), { repositories: storeAccess(opened.database, policy).repositories, policy }),
    ).rejects.toMatchObject({ code: 'DIRECTORY_INVALID' });
    await expect(importDirectoryFile(write('x.json', '{}'), { repositories: storeAccess(opened.database, policy).repositories, policy })).rejects.toThrow(
      'unsupported file type ".json"',
    );
  });

  it.skipIf(!backend.available)('imports eligible callers from CSV, all or nothing', async () => {
    const good = write('callers.csv', 'customer,email,name\nNORDIC,lars@nordic.example,Lars Berg\nNORDIC,Eva@Nordic.example,Eva Ek\n');
    const result = await importDirectoryFile(good, { repositories: storeAccess(opened.database, policy).repositories, policy });
    expect(result.format).toBe('csv');
    expect(result.warnings).toEqual([
      { record: 'line 2', field: 'customer', message: 'customer NORDIC has only 2 eligible callers; the terms expect at least 3' },
    ]);
    expect((await directory.findCustomer('NORDIC'))?.eligibleCallers.map((caller) => caller.email).sort()).toEqual([
      'eva@nordic.example',
      'lars@nordic.example',
    ]);
    const bad = write('callers-bad.csv', 'customer,email,name\nNORDIC,x@nordic.example,X\nGHOST,g@ghost.example,G\n');
    await expect(importDirectoryFile(bad, { repositories: storeAccess(opened.database, policy).repositories, policy })).rejects.toThrow(
      `${bad}: line 3: customer: no such customer GHOST in the directory`,
    );
    expect((await directory.findCustomer('NORDIC'))?.eligibleCallers).toHaveLength(2);
    const malformed = write('callers-malformed.csv', 'customer,email,name\nNORDIC,not-an-email,\n');
    await expect(importDirectoryFile(malformed, { repositories: storeAccess(opened.database, policy).repositories, policy })).rejects.toThrow('line 2: email');
  });

  it.skipIf(!backend.available)('names the file line of a bad CSV row, and a header without a required column', async () => {
    const deps = { repositories: storeAccess(opened.database, policy).repositories, policy };
    const before = await directory.countAll();
    const gaps = write('callers-gaps.csv', 'customer,email,name\r\nNORDIC,a@nordic.example,"Ann\nAnd"\r\n\r\n\r\nNORDIC,b@nordic.example,\r\nNORDIC,bad,C\r\n');
    const message = String(await importDirectoryFile(gaps, deps).catch((caught: unknown) => (caught as Error).message));
    expect(message).toContain('line 6: name: name is required');
    expect(message).toContain('line 7: email: not a valid e-mail address');
    const typo = write('callers-typo.csv', 'customer,mail,name\nNORDIC,lars@nordic.example,Lars\n');
    await expect(importDirectoryFile(typo, deps)).rejects.toThrow('line 1: email: the header has no "email" column; expected customer,email,name');
    await expect(importDirectoryFile(write('callers-empty.csv', ''), deps)).rejects.toThrow('line 1: (header): the file is empty');
    expect(await directory.countAll()).toEqual(before);
  });

  it.skipIf(!backend.available)('warns at a CSV import when one address is an eligible caller of two customers', async () => {
    const shared = write('callers-shared.csv', 'customer,email,name\nNORDIC,shared@example.com,Sam\nACME,Shared@Example.com,Sam\n');
    const result = await importDirectoryFile(shared, { repositories: storeAccess(opened.database, policy).repositories, policy });
    const warning = result.warnings.find((item) => item.message.includes('shared@example.com'));
    expect(`${warning?.record} ${warning?.message}`).toMatch(/ACME/);
    expect(`${warning?.record} ${warning?.message}`).toMatch(/NORDIC/);
  });

  it.skipIf(!backend.available)('warns when an imported caller is already a caller of a stored customer the file does not list', async () => {
    const deps = { repositories: storeAccess(opened.database, policy).repositories, policy };
    const customer = (key: string, address: string) =>
      `customers:\n  - key: ${key}\n    name: ${key}\n    calendar: US\n    currency: USD\n    eligibleCallers:\n      - { email: ${address}, name: Sam }\n`;
    const first = await importDirectoryFile(write('solo-1.yaml', customer('SOLO1', 'sam@solo.example')), deps);
    expect(first.warnings.filter((warning) => warning.message.includes('sam@solo.example'))).toEqual([]);
    const second = await importDirectoryFile(write('solo-2.yaml', customer('SOLO2', 'Sam@Solo.example')), deps);
    expect(second.warnings).toContainEqual({
      record: 'customers[0] (SOLO2)',
      field: 'eligibleCallers[0].email',
      message:
        'sam@solo.example is also an eligible caller of customer SOLO1 (already in the directory); mail from it is ambiguous and will be asked for its licence number',
    });
    const csv = await importDirectoryFile(write('solo-3.csv', 'customer,email,name\nSOLO2,max@solo.example,Max\nSOLO2,sam@solo.example,Sam\n'), deps);
    expect(csv.warnings).toContainEqual(
      expect.objectContaining({ record: 'line 3', field: 'email', message: expect.stringContaining('customer SOLO1 (already in the directory)') }),
    );
  });

  it.skipIf(!backend.available)('warns when the import moves a licence from one stored customer to another', async () => {
    const deps = { repositories: storeAccess(opened.database, policy).repositories, policy };
    const owner = (key: string) =>
      `customers:\n  - key: ${key}\n    name: ${key}\n    calendar: US\n    currency: USD\n    licences:\n      - { number: "MOVE-1", product: P, type: commercial, registeredOn: 2026-01-01, maintenanceUntil: 2027-01-01 }\n`;
    const first = await importDirectoryFile(write('move-1.yaml', owner('HOLDER')), deps);
    expect(first.warnings.filter((warning) => warning.message.includes('MOVE-1'))).toEqual([]);
    const again = await importDirectoryFile(write('move-1.yaml', owner('HOLDER')), deps);
    expect(again.warnings.filter((warning) => warning.message.includes('MOVE-1'))).toEqual([]);
    const moved = await importDirectoryFile(write('move-2.yaml', owner('TAKER')), deps);
    expect(moved.warnings).toContainEqual({
      record: 'customers[0] (TAKER)',
      field: 'licences[0].number',
      message: 'licence MOVE-1 belonged to customer HOLDER; it now belongs to TAKER',
    });
    expect((await directory.findCustomer('TAKER'))?.licences.map((licence) => licence.number)).toEqual(['MOVE-1']);
  });

  it.skipIf(!backend.available)('warns when a customer key differs only in case from a stored one', async () => {
    const deps = { repositories: storeAccess(opened.database, policy).repositories, policy };
    const customer = (key: string) => `customers:\n  - { key: ${key}, name: Case Co, calendar: US, currency: USD }\n`;
    const first = await importDirectoryFile(write('case-1.yaml', customer('CASECO')), deps);
    expect(first.warnings.filter((warning) => warning.field === 'key')).toEqual([]);
    const lower = await importDirectoryFile(write('case-2.yaml', customer('caseco')), deps);
    expect(lower.warnings).toContainEqual({
      record: 'customers[0] (caseco)',
      field: 'key',
      message: 'differs only in case from the stored customer CASECO; deskbot keeps them as two separate customers',
    });
  });

  it.skipIf(!backend.available)('finds the directory entries relevant to one sender', async () => {
    const found = await directory.findForSender({ email: 'Tech@Reseller.Example', partnerIds: ['kp-10001'], licenceNumbers: ['5B61-22D0-9E7A'] });
    expect(found.partners.map((partner) => partner.partnerId)).toEqual(['KP-10001']);
    expect(found.customers.map((customer) => customer.key)).toEqual(['NORDIC']);
    const byDomain = await directory.findForSender({ email: 'someone@reseller.example', partnerIds: [], licenceNumbers: [] });
    expect(byDomain.partners).toHaveLength(1);
    const nobody = await directory.findForSender({ email: 'x@elsewhere.example', partnerIds: [], licenceNumbers: [] });
    expect(nobody).toEqual({ customers: [], partners: [] });
  });
});
