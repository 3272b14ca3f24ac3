// Generates the hostile inbound corpus for fault tests: malformed, truncated, oversized, wrongly encoded and
// deliberately nasty messages, each with a label saying what is wrong with it. Deterministic (seeded).

export interface HostileMessage {
  label: string;
  raw: Buffer;
}

function rng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

const senders = ['ops@acme.example', 'it@acme.example', 'stranger@evil.example', 'tech@reseller.example', 'admin@tryco.example'];

function headers(index: number, extra: string[] = [], from = senders[index % senders.length]!): string {
  return [
    `From: ${from}`,
    'To: support@deskbot.local',
    `Subject: Request ${index}`,
    `Message-ID: <hostile.${index}@corpus.example>`,
    'Date: Mon, 30 Nov 2026 15:00:00 +0000',
    ...extra,
  ].join('\r\n');
}

/** At least `count` messages (default 320) covering every family below several times. */
export function hostileCorpus(count = 320, maxBytes = 256 * 1024): HostileMessage[] {
  const random = rng(42);
  const families: Array<(index: number) => HostileMessage> = [
    (i) => ({ label: 'empty', raw: Buffer.alloc(0) }),
    (i) => ({ label: 'only whitespace', raw: Buffer.from('\r\n\r\n   \r\n') }),
    (i) => ({ label: 'headers only, no body', raw: Buffer.from(headers(i)) }),
    (i) => ({ label: 'truncated mid-header', raw: Buffer.from(`${headers(i)}\r\nContent-Type: multipart/mixed; bound`) }),
    (i) => ({
      label: 'missing boundary',
      raw: Buffer.from(
        `${headers(i, ['MIME-Version: 1.0', 'Content-Type: multipart/mixed'])}\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nSeverity: 3 body\r\n--x--\r\n`,
      ),
    }),
    (i) => ({
      label: 'boundary never closed',
      raw: Buffer.from(
        `${headers(i, ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"'])}\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello`,
      ),
    }),
    (i) => ({
      label: 'broken base64',
      raw: Buffer.from(
        `${headers(i, ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'])}\r\n\r\n!!!not*base64@@@==\r\nQUJD$$$\r\n`,
      ),
    }),
    (i) => ({
      label: 'broken quoted-printable',
      raw: Buffer.from(`${headers(i, ['Content-Type: text/plain', 'Content-Transfer-Encoding: quoted-printable'])}\r\n\r\n=ZZ=G1 soft break=\r\n=`),
    }),
    (i) => ({
      label: 'latin-1 bytes declared utf-8',
      raw: Buffer.concat([Buffer.from(`${headers(i, ['Content-Type: text/plain; charset=utf-8'])}\r\n\r\n`), Buffer.from([0xe9, 0xe8, 0xff, 0xfe, 0x41])]),
    }),
    (i) => ({ label: 'unknown charset', raw: Buffer.from(`${headers(i, ['Content-Type: text/plain; charset=x-klingon-9'])}\r\n\r\nqapla'`) }),
    (i) => ({
      label: 'raw 8-bit in headers',
      raw: Buffer.concat([
        Buffer.from('From: '),
        Buffer.from([0xc3, 0x28, 0xa0, 0xa1]),
        Buffer.from(` <${senders[i % senders.length]}>\r\nSubject: `),
        Buffer.from([0xff, 0xfe, 0xfd]),
        Buffer.from(`\r\nMessage-ID: <hostile.${i}@corpus.example>\r\n\r\nbody`),
      ]),
    }),
    (i) => ({ label: 'NUL bytes', raw: Buffer.from(`${headers(i)}\r\n\r\nhello\u0000world\u0000\u0000`) }),
    (i) => ({
      label: 'encoded-word abuse',
      raw: Buffer.from(
        `${headers(i, [`X-Junk: ${'=?utf-8?B?'.repeat(200)}`]).replace(`Subject: Request ${i}`, `Subject: =?utf-8?Q?=E2=80=AE=00=0A?= =?bogus?X?zzz?= =?utf-8?B?${'A'.repeat(2000)}?=`)}\r\n\r\nbody`,
      ),
    }),
    (i) => ({
      label: 'no From',
      raw: Buffer.from(`To: support@deskbot.local\r\nSubject: anonymous ${i}\r\nMessage-ID: <hostile.${i}@corpus.example>\r\n\r\nwho am I`),
    }),
    (i) => ({ label: 'several From addresses', raw: Buffer.from(`${headers(i, [], 'ops@acme.example, stranger@evil.example')}\r\n\r\nSeverity: 5`) }),
    (i) => ({
      label: 'From display name spoof',
      raw: Buffer.from(`${headers(i, [], '"ops@acme.example" <attacker@evil.example>')}\r\n\r\nSeverity: 5 critical`),
    }),
    (i) => ({ label: 'group syntax From', raw: Buffer.from(`${headers(i, [], 'undisclosed-recipients:;')}\r\n\r\nbody`) }),
    (i) => ({ label: 'header line of 100 kB', raw: Buffer.from(`${headers(i, [`X-Long: ${'x'.repeat(100_000)}`])}\r\n\r\nbody`) }),
    (i) => ({ label: 'body line of 200 kB', raw: Buffer.from(`${headers(i)}\r\n\r\n${'y'.repeat(200_000)}`) }),
    (i) => ({
      label: '5000 headers',
      raw: Buffer.from(
        `${headers(
          i,
          Array.from({ length: 5000 }, (_, n) => `X-H${n}: v`),
        )}\r\n\r\nbody`,
      ),
    }),
    (i) => {
      let body = 'deep';
      for (let depth = 0; depth < 60; depth += 1)
        body = `--d${depth}\r\nContent-Type: multipart/mixed; boundary="d${depth + 1}"\r\n\r\n${body}\r\n--d${depth}--`;
      return {
        label: 'multipart nested 60 deep',
        raw: Buffer.from(`${headers(i, ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="d0"'])}\r\n\r\n${body}`),
      };
    },
    (i) => ({
      label: 'message/rfc822 loop-ish nesting',
      raw: Buffer.from(
        `${headers(i, ['MIME-Version: 1.0', 'Content-Type: message/rfc822'])}\r\n\r\n${headers(i + 100000, ['Content-Type: message/rfc822'])}\r\n\r\n${headers(i + 200000)}\r\n\r\ninner`,
      ),
    }),
    (i) => ({
      label: 'HTML with script and tracking',
      raw: Buffer.from(
        `${headers(i, ['MIME-Version: 1.0', 'Content-Type: text/html; charset=utf-8'])}\r\n\r\n<html><script>alert(1)</script><img src=x onerror=alert(2)><p>Severity: 4 <b>major</b> &lt;!channel&gt;</p></html>`,
      ),
    }),
    (i) => ({ label: 'LF-only line endings', raw: Buffer.from(`${headers(i).replace(/\r\n/g, '\n')}\n\nSeverity: 2 question`) }),
    (i) => ({ label: 'bare CR line endings', raw: Buffer.from(`${headers(i).replace(/\r\n/g, '\r')}\r\rbody`) }),
    (i) => ({ label: 'random binary', raw: Buffer.from(Array.from({ length: 2000 + Math.floor(random() * 4000) }, () => Math.floor(random() * 256))) }),
    (i) => ({
      label: 'random printable noise',
      raw: Buffer.from(Array.from({ length: 3000 }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join('')),
    }),
    (i) => ({
      label: 'oversized',
      raw: Buffer.concat([Buffer.from(`${headers(i, ['Content-Type: text/plain'])}\r\n\r\n`), Buffer.alloc(maxBytes + 1024, 0x61)]),
    }),
    (i) => ({
      label: 'attachment bomb-ish (many parts)',
      raw: Buffer.from(
        `${headers(i, ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="p"'])}\r\n\r\n${Array.from({ length: 400 }, (_, n) => `--p\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="f${n}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\n`).join('')}--p--\r\n`,
      ),
    }),
    (i) => ({ label: 'auto-submitted with garbage value', raw: Buffer.from(`${headers(i, ['Auto-Submitted: \u0000\u00ff???', 'Precedence: '])}\r\n\r\nbody`) }),
    (i) => ({ label: 'duplicate Message-ID of a previous message', raw: Buffer.from(`${headers(0)}\r\n\r\nsame id again ${i}`) }),
    (i) => ({
      label: 'Message-ID with injection',
      raw: Buffer.from(`${headers(i).replace(`<hostile.${i}@corpus.example>`, `<a'); DROP TABLE "Ticket";--${i}@x>`)}\r\n\r\nbody`),
    }),
    (i) => ({
      label: 'truncated mid-body',
      raw: Buffer.from(
        `${headers(i, ['MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="t"'])}\r\n\r\n--t\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nU2V2ZXJp`,
      ),
    }),
    // Issue 13 points 10–13 and 16: what customers send, reused in headers, Slack and logs.
    (i) => ({
      label: 'bidi overrides and control characters in subject, name and text',
      raw: Buffer.from(
        `${headers(i, [], '=?utf-8?q?Ana_=E2=80=AEspO=00?= <ops@acme.example>').replace(`Subject: Request ${i}`, `Subject: Invoice \u202Efdp.exe\u2066 \u0007${i}`)}\r\n` +
          'Content-Type: text/plain; charset=utf-8\r\n\r\nSeverity: 3 \u202Ereversed\u202C text\u0000\u001B[31m\r\n',
        'utf8',
      ),
    }),
    (i) => ({
      label: 'subject of 171 KB in encoded-words',
      raw: Buffer.from(
        `${headers(i, [], 'ops@acme.example').replace(`Subject: Request ${i}`, `Subject: ${Array.from({ length: 2_500 }, () => `=?utf-8?B?${Buffer.from('Wichtige Störung '.repeat(3)).toString('base64')}?=`).join('\r\n ')}`)}\r\n\r\nSeverity: 4\r\n`,
      ),
    }),
    (i) => ({
      label: 'From address only inside an encoded-word',
      raw: Buffer.from(`${headers(i, [], `=?utf-8?B?${Buffer.from('Ana Ops <ops@acme.example>').toString('base64')}?=`)}\r\n\r\nSeverity: 5\r\n`),
    }),
    (i) => ({
      label: 'From address encoded inside angle brackets',
      raw: Buffer.from(`${headers(i, [], 'Ana <=?utf-8?q?ops=40acme.example?=>')}\r\n\r\nSeverity: 5\r\n`),
    }),
    (i) => ({ label: 'From our own address with a +tag', raw: Buffer.from(`${headers(i, [], `support+loop${i}@deskbot.local`)}\r\n\r\nSeverity: 3\r\n`) }),
    (i) => ({
      label: 'forged From of an eligible caller with dmarc=fail',
      raw: Buffer.from(
        `${headers(i, ['Authentication-Results: mx.deskbot.local; dmarc=fail (p=reject) header.from=acme.example; spf=fail smtp.mailfrom=evil.example'], 'ops@acme.example')}\r\n\r\nSeverity: 5\r\n`,
      ),
    }),
  ];
  const corpus: HostileMessage[] = [];
  for (let index = 0; corpus.length < count; index += 1) {
    const make = families[index % families.length]!;
    const message = make(index);
    corpus.push({ label: `${message.label} #${index}`, raw: message.raw });
  }
  return corpus;
}
