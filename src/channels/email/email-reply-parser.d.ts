// Types for email-reply-parser 1.9 (CommonJS, ships none): only what reply-text.ts calls.
declare module 'email-reply-parser' {
  class EmailReplyParser {
    read(text: string): { getVisibleText(): string };
  }
  export default EmailReplyParser;
}
