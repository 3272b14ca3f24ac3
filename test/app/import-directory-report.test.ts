// What a refused directory import reports: every problem of the file in one run, each with its place (YAML line,
// CSV line and column), and nothing imported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDirectoryFile } from '../../src/app/import-directory.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { createDirectoryRepository } from '../../src/store/directory-repository.ts';
import { storeAccess } from '../../src/store/transactor.ts';
import { backends } from '../helpers/backends.ts';
import { scratchFiles } from '../helpers/scratch-files.ts';

const policy = defaultPolicy();
const { write } = scratchFiles('import-report');

describe.each(backends)('directory import report on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  let directory: ReturnType<typeof createDirectoryRepository>;
  beforeAll(async () => {
    if (!backend.available) return;
    opened = await backend.open();
    directory = createDirectoryRepository(opened.database.prisma);
  });
  afterAll(async () => opened?.dispose());

  /** The lines of the refusal after its first (each `  file: record: field: message`), with the file name cut. */
  async function refusal(file: string): Promise<string[]> {
    const error = await importDirectoryFile(file, { repositories: storeAccess(opened.database, policy).repositories, policy }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'DIRECTORY_INVALID' });
    const [first, ...rest] = (error as Error).message.split('\n');
    expect(first).toBe(`Directory file ${file} is invalid; nothing was imported:`);
    return rest.map((line) => line.replace(`  ${file}: `, ''));
  }

  it.skipIf(!backend.available)('a YAML file: schema and cross-record problems together, in line order, nothing imported', async () => {
    const before = await directory.countAll();
    const file = write(
      'several.yaml',
      `customers:
  - key: ACME
    name: Acme Corp
    calendar: MARS
    currency: USD
    licences:
      - { number: L-1, product: P, type: commercial, registeredOn: 2026-13-01 }
    eligibleCallers:
      - { email: ops@acme.example, name: Ana }
      - { email: OPS@acme.example, name: Ana again }
  - key: ACME
    name: Acme Again
    calendar: US
    currency: XYZ
    licences:
      - { number: L-1, product: P, type: commercial, registeredOn: 2026-01-01 }
partners:
  - { partnerId: KP-1, name: R, contacts: ["@r.example"] }
  - { partnerId: kp-1, name: R2, contacts: [] }
`,
    );
    expect(await refusal(file)).toEqual([
      'customers[0] (ACME): calendar: unknown calendar "MARS"; the policy defines US, EMEA, 24x7 (line 4)',
      'customers[0] (ACME): licences[0].registeredOn: not a real calendar date (line 7)',
      'customers[0] (ACME): eligibleCallers[1].email: duplicate caller ops@acme.example (line 10)',
      'customers[1] (ACME): key: duplicate of customers[0] (line 11)',
      'customers[1] (ACME): currency: Invalid option: expected one of "USD"|"EUR"|"GBP"|"CZK"|"AUD" (line 14)',
      'customers[1] (ACME): licences[0].number: licence L-1 is also listed under customers[0] (ACME) (line 16)',
      'partners[1] (kp-1): contacts: at least one address or "@domain" (line 19)',
      'partners[1] (kp-1): partnerId: duplicate of partners[0] (line 19)',
    ]);
    expect(await directory.countAll()).toEqual(before);
  });

  it.skipIf(!backend.available)('a callers CSV: bad rows, long rows, unknown customers and too many callers together, each at its line', async () => {
    const deps = { repositories: storeAccess(opened.database, policy).repositories, policy };
    await importDirectoryFile(
      write(
        'owners.yaml',
        'customers:\n  - { key: ACME, name: Acme, calendar: US, currency: USD }\n  - { key: BIG, name: Big, calendar: US, currency: USD }\n',
      ),
      deps,
    );
    const before = await directory.countAll();
    const big = Array.from({ length: 6 }, (_, index) => `BIG,c${index}@big.example,Caller ${index}`).join('\n');
    const file = write(
      'several.csv',
      `customer,email,name\nACME,a@acme.example,A\nGHOST,g@ghost.example,G\nACME,bad,B\n\nGHOST,h@ghost.example,H\nacme,x@acme.example,X\nACME,c@acme.example,C,extra\n${big}\n`,
    );
    expect(await refusal(file)).toEqual([
      'line 3: customer: no such customer GHOST in the directory (also on line 6)',
      'line 4: email: not a valid e-mail address',
      'line 7: customer: no such customer acme in the directory; did you mean ACME?',
      'line 8: (row): 4 fields; the header names 3 (customer,email,name)',
      'line 14: email: 6 eligible callers for customer BIG; at most 5 allowed',
    ]);
    expect(await directory.countAll()).toEqual(before);
  });

  it.skipIf(!backend.available)('a YAML syntax error quotes the line it reports, with the caret under its column', async () => {
    const file = write('unclosed.yaml', 'customers:\n  - key: ACME\n    name: Acme\n    currency: [USD\n  - key: B\n');
    expect(await refusal(file)).toEqual([
      '(file): (yaml): Flow sequence in block collection must be sufficiently indented and end with a ] (line 5, column 3)',
      '      5 |   - key: B',
      '        |   ^',
    ]);
  });
});
