// The open group commit of the current async context (Transactor.group in transactor.ts), kept in an
// AsyncLocalStorage so that every Transactor.run of the handlers inside it joins the group's transaction.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Repositories } from '../app/ports.ts';

/** An open group commit: the repositories of its transaction, and the first failure inside it. */
export interface OpenGroup {
  repositories: Repositories;
  failure?: { error: unknown };
  /** Set when the group's work has ended: work it started that outlives it runs transactions of its own. */
  closed: boolean;
}

export const openGroups = new AsyncLocalStorage<OpenGroup>();

/** The group commit the caller runs in, if it is still open. */
export function currentGroup(): OpenGroup | undefined {
  const group = openGroups.getStore();
  return group && !group.closed ? group : undefined;
}
