// Transactor.group (group commit) on both back ends: the runs inside it share one transaction, a failure inside any
// of them — even one its caller caught — rolls them all back, and work that outlives the group runs on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../src/domain/policy.ts';
import type { Transactor } from '../../src/app/ports.ts';
import { storeAccess } from '../../src/store/transactor.ts';
import { backends } from '../helpers/backends.ts';

for (const backend of backends) {
  describe.skipIf(!backend.available)(`group commit (${backend.name})`, () => {
    let handle: Awaited<ReturnType<(typeof backends)[number]['open']>>;
    let transactor: Transactor;
    beforeAll(async () => {
      handle = await backend.open();
      transactor = storeAccess(handle.database, defaultPolicy()).transactor;
    });
    afterAll(async () => handle?.dispose());

    const next = (year: number) => transactor.run((tx) => tx.tickets.nextRequestId(year));

    it('commits the runs inside it together', async () => {
      const ids = await transactor.group!(async () => [await next(2101), await next(2101)]);
      expect(ids).toEqual(['SR-2101-000001', 'SR-2101-000002']);
      expect(await next(2101)).toBe('SR-2101-000003');
    });

    it('rolls every run back when one fails, even if its caller caught the failure', async () => {
      await expect(
        transactor.group!(async () => {
          await next(2102);
          await transactor
            .run(async () => {
              throw new Error('a bug in the second message');
            })
            .catch(() => undefined);
          // The transaction has failed: a later run in the group does not run at all.
          await expect(next(2102)).rejects.toThrow(/a bug in the second message/);
          return 'done';
        }),
      ).rejects.toThrow(/a bug in the second message/);
      expect(await next(2102)).toBe('SR-2102-000001');
    });

    it('lets work that outlives the group run transactions of its own', async () => {
      let later: Promise<string> | undefined;
      await transactor.group!(async () => {
        await next(2103);
        later = new Promise<void>((resolve) => setTimeout(resolve, 50)).then(() => next(2103));
      });
      expect(await later).toBe('SR-2103-000002');
    });
  });
}
