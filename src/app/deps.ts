// The one dependency shape of every use case and job: the store (a Transactor for work, repositories for reads),
// policy, a typed config slice, clock, logger, the mail renderer and parser, and a post-commit hook. Composition
// (runtime.ts, main.ts, cli/) builds it; each use case names the part it reads with UseCaseDeps.
import type { Config } from '../config.ts';
import type { Policy } from '../domain/policy.ts';
import type { Logger } from '../logger.ts';
import type { MailParser } from './parsed-mail.ts';
import type { Clock, MailRenderer, Repositories, Transactor } from './ports.ts';

/** The configuration use cases and jobs read. */
export type AppConfig = Pick<
  Config,
  | 'SUPPORT_ADDRESS'
  | 'SUPPORT_NAME'
  | 'SALES_CONTACT'
  | 'MAIL_MAX_BYTES'
  | 'AUTH_REQUIRED'
  | 'AUTH_SERV_ID'
  | 'LOCALE'
  | 'dataDir'
  | 'MANAGER_EMAILS'
  | 'SLA_SWEEP_INTERVAL_MS'
  | 'ATTACHMENT_MAX_BYTES'
>;

export interface AppDeps {
  /** Runs a use case's writes in one transaction. */
  transactor: Transactor;
  /** The repositories outside a transaction, for reads. */
  repositories: Repositories;
  policy: Policy;
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  renderer: MailRenderer;
  parser: MailParser;
  /** Called after a commit that queued mail or Slack items (e.g. to wake the outbox dispatcher); errors are logged. */
  onCommitted?: () => void | Promise<void>;
}

/** The part of AppDeps a use case reads: the fields `K` and the config keys `C`. */
export type UseCaseDeps<K extends Exclude<keyof AppDeps, 'config'>, C extends keyof AppConfig = never> = Pick<AppDeps, K> &
  ([C] extends [never] ? unknown : { config: Pick<AppConfig, C> });
