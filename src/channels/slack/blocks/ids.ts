// The action and view ids deskbot's Block Kit elements carry; Bolt routes on them, so they never change.
export const actionIds = {
  assignToMe: 'ticket.assign_me',
  setSeverity: 'ticket.set_severity',
  waitOnCustomer: 'ticket.wait',
  resume: 'ticket.resume',
  reply: 'ticket.reply',
  close: 'ticket.close',
  reopen: 'ticket.reopen',
  homeFilter: 'home.filter',
} as const;

export const viewIds = {
  reply: 'ticket.reply_modal',
  close: 'ticket.close_modal',
  phoneOpen: 'support.open_modal',
} as const;

/** Block and element ids inside the modals, read back from view.state.values. */
export const inputIds = {
  replyText: { block: 'reply_text', element: 'text' },
  closeOutcome: { block: 'close_outcome', element: 'outcome' },
  closeExclusion: { block: 'close_exclusion', element: 'exclusion' },
  closeCharge: { block: 'close_charge', element: 'charge' },
  closeReason: { block: 'close_reason', element: 'reason' },
  phoneCaller: { block: 'phone_caller', element: 'email' },
  phoneSeverity: { block: 'phone_severity', element: 'severity' },
  phoneSubject: { block: 'phone_subject', element: 'subject' },
  phoneDescription: { block: 'phone_description', element: 'description' },
} as const;
