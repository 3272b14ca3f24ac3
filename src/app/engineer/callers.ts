// Read: a customer's eligible callers for /support callers.
import { DeskbotError } from '../../errors.ts';
import type { EngineerActionDeps } from './common.ts';

export interface CustomerCallers {
  key: string;
  name: string;
  supportLevel: string;
  callers: Array<{ email: string; name: string; phone: string | null }>;
}

/** Who may open requests for a customer (matched by key, or by a part of its name). */
export async function callers(deps: EngineerActionDeps, input: { customer: string }): Promise<CustomerCallers[]> {
  const query = input.customer.trim();
  if (query === '') throw new DeskbotError('NOT_FOUND', 'Name a customer');
  const customers = await deps.repositories.directory.customersWithCallers(query);
  return customers.map((customer) => ({
    key: customer.key,
    name: customer.name,
    supportLevel: customer.supportLevel,
    callers: customer.eligibleCallers.map((caller) => ({ email: caller.email, name: caller.name, phone: caller.phone })),
  }));
}
