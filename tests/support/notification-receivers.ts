import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  raw: string;
}

/** A real SMTP server on loopback (npm smtp-server), keeping every message it accepts; on `port` (default: any free one). */
export async function startSmtpServer(port = 0): Promise<{ url: string; mails: ReceivedMail[]; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${address.port}`, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export interface ReceivedHook {
  event: string | undefined;
  body: string;
  json: { id: string; event: string; token: { id: string }; [key: string]: unknown };
}

/**
 * A webhook receiver that checks `X-Aot-Signature` (hex HMAC-SHA256 of the raw body) and refuses
 * (401) a wrong one; `failNext` makes it answer 500 to the next n deliveries.
 */
export async function startWebhookReceiver(
  secret: string,
  port = 0,
): Promise<{ url: string; hooks: ReceivedHook[]; attempts(): number; badSignatures(): number; failNext(n: number): void; close(): Promise<void> }> {
  const hooks: ReceivedHook[] = [];
  let attempts = 0;
  let bad = 0;
  let failing = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      attempts += 1;
      if (failing > 0) {
        failing -= 1;
        return void res.writeHead(500).end('try later');
      }
      const body = Buffer.concat(chunks);
      const expected = createHmac('sha256', secret).update(body).digest();
      const given = Buffer.from(String(req.headers['x-aot-signature'] ?? ''), 'hex');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        bad += 1;
        return void res.writeHead(401).end();
      }
      const text = body.toString('utf8');
      hooks.push({ event: req.headers['x-aot-event'] as string | undefined, body: text, json: JSON.parse(text) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/hooks/aot`,
    hooks,
    attempts: () => attempts,
    badSignatures: () => bad,
    failNext: (n) => (failing = n),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A mail server that is broken on `port`: `silent` accepts connections and never says a word (no
 * SMTP greeting), `hang-up` closes each at once. `close()` drops what it holds, so the port can
 * take a real server.
 */
export async function startBrokenMailServer(port: number, behaviour: 'silent' | 'hang-up'): Promise<{ connections(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections += 1;
    socket.on('error', () => undefined);
    if (behaviour === 'hang-up') return void socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** Waits until `done()` holds, checking every 100 ms (`step` runs before each check), or fails after `timeoutMs`. */
export async function eventually(done: () => boolean, step: () => Promise<void> = async () => undefined, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await step();
    if (done()) return;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The subject and text of a single-part message as nodemailer writes it (encoded words, quoted-printable or base64). */
export function decodeMail(raw: string): { subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(head)?.[1] ?? '';
  const words = (value: string) =>
    value
      .replace(/\?=\s+=\?/g, '?==?')
      .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_, mode: string, text: string) =>
        mode.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : quotedPrintable(text.replace(/_/g, ' ')),
      );
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  const text = encoding === 'quoted-printable' ? quotedPrintable(body.replace(/=\r\n/g, '')) : encoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body;
  return { subject: words(header('Subject')), text };
}

function quotedPrintable(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i] ?? '', 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}
