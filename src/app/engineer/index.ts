// Every engineer action, for callers that take them as one namespace (`import * as actions`): Slack commands and buttons.
export type { ActionResult, Actor, EngineerActionDeps } from './common.ts';
export { assign } from './assign.ts';
export { setSeverity } from './set-severity.ts';
export { waitOnCustomer } from './wait-on-customer.ts';
export { resume } from './resume.ts';
export { respond, type RespondResult } from './respond.ts';
export { split, type SplitResult } from './split.ts';
export { reopen } from './reopen.ts';
export { list } from './list.ts';
export { show, type TicketDetails } from './show.ts';
export { callers, type CustomerCallers } from './callers.ts';
export { openByPhone, type OpenByPhoneInput, type OpenByPhoneResult } from './open-by-phone.ts';
export { workaround } from './workaround.ts';
export { agreed, type AgreedResult } from './agreed.ts';
export { markPreSales } from './pre-sales.ts';
export { recordPostMortem } from './post-mortem.ts';
