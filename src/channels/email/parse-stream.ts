// The streaming side of parsing: mailparser's options, the raw message fed in 64 KB slices, and the second pass that
// streams attachment content out (the first pass, parse-message.ts, keeps only names, sizes and hashes).
import { Readable } from 'node:stream';
import { MailParser, type AttachmentStream, type MessageText } from 'mailparser';
import type { AttachmentContentReader } from '../../app/parsed-mail.ts';

/** Longest HTML converted to text; mailparser keeps longer HTML but does not convert it. */
export const maxHtmlToConvert = 5 * 1024 * 1024;

export const parserOptions = {
  skipTextToHtml: true,
  skipImageLinks: true,
  skipTextLinks: true,
  keepDeliveryStatus: true,
  maxHtmlLengthToParse: maxHtmlToConvert,
};

/** Bytes handed to the parser at a time. */
export const parseSliceBytes = 64 * 1024;

export function* slices(raw: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < raw.length; offset += size) yield raw.subarray(offset, offset + size);
}

export type { AttachmentContentReader } from '../../app/parsed-mail.ts';

/** See AttachmentContentReader: a second pass over the raw bytes in the same 64 KB slices, the unwanted parts released unread. */
export function attachmentReader(raw: Buffer): AttachmentContentReader {
  return (wanted, visit) =>
    new Promise((resolve, reject) => {
      const parser = new MailParser(parserOptions);
      let index = -1;
      let failed = false;
      const fail = (error: unknown) => {
        if (failed) return;
        failed = true;
        reject(error);
        parser.destroy();
      };
      parser.on('data', (data: AttachmentStream | MessageText) => {
        if (data.type === 'text') return;
        index += 1;
        if (!wanted.has(index)) {
          (data.content as Readable).resume();
          data.content.on('end', () => data.release());
          return;
        }
        visit(index, data.content as Readable)
          .then(() => data.release())
          .catch(fail);
      });
      parser.on('error', (error: Error) => {
        if (!/HTML/.test(error.message)) fail(error);
      });
      parser.on('end', () => {
        if (!failed) resolve();
      });
      Readable.from(slices(raw, parseSliceBytes)).on('error', fail).pipe(parser);
    });
}

export const noAttachmentContent: AttachmentContentReader = async () => undefined;
