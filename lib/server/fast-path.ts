import { METHODS, STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { headerLinesOf } from '../gateway/answers';
import { isPending, type MaybePromise } from '../gateway/maybe';
import type { GatewayRequest, GatewayResponse } from '../gateway/types';
import { HTTP_TOKEN } from '../http/grammar';

/**
 * The auth check's own HTTP/1.1 path, in front of Node's HTTP server on the same port.
 *
 * Node's HTTP machinery (request and response streams, per-request timers and ticks) costs about
 * twice what a check itself costs; measured behind nginx, answering from the socket directly halves
 * the server's CPU per check. This path only answers what it understands completely: a whole request
 * head in hand, HTTP/1.1, an authenticate path, no body, no duplicate or framing headers. Anything
 * else — a portal page, a partial head, a body, an odd header — hands the connection, from the first
 * byte of that request, to Node's own parser, which stays the authority on HTTP. So this path never
 * refuses a request itself, and it holds no partial state between reads.
 *
 * A client may half-close its side (FIN) right after its requests: every request it sent is still
 * answered, in order, by this path or by Node, and then the connection is closed.
 */
export interface FastPathOptions {
  /** Exact request paths (before any query) answered here. */
  paths: ReadonlySet<string>;
  /** Paths starting with this are answered here too (Envoy's checks); looked at only when `paths` has no match. */
  prefix?: string;
  /** The gateway's answer to a check, synchronously when it can; never throws. */
  handle(request: GatewayRequest): MaybePromise<GatewayResponse>;
  /** Idle connections are closed after this long (Node's `keepAliveTimeout`). */
  keepAliveMs: number;
  /** A head longer than this goes to Node (which refuses it with 431 over its own limit). */
  maxHeadBytes: number;
  /** A request failed in a way the gateway did not answer: it is logged and answered with 503. */
  onError(error: unknown): void;
}

export interface FastPath {
  /** Connections on the fast path now (not counting those handed to Node). */
  readonly size: number;
  /**
   * Shutting down: a connection with requests in hand answers them all, the last with `Connection:
   * close`, and then closes; one that stays idle for `graceMs` is closed (a request already on its
   * way when the signal came still reads as one, not as a reset).
   */
  drain(graceMs: number): void;
  closeAll(): void;
}

const HEAD_END = Buffer.from('\r\n\r\n');
/** Methods Node's parser takes; CONNECT (a tunnel) and PRI (HTTP/2's preface) are Node's to handle. */
const ANSWERED_METHODS: ReadonlySet<string> = new Set(METHODS.filter((m) => m !== 'CONNECT' && m !== 'PRI'));
const REQUEST_LINE = /^([A-Z]+) (\/[!-~]*) HTTP\/1\.1$/;
/** Control characters other than tab, including any CR or LF not part of a line end. */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
/** More headers than any sub-request carries; beyond this Node's own limits (it drops headers past 2,000) apply. */
const MAX_HEADERS = 100;
const UNAVAILABLE = 'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

/**
 * Takes over `server`'s connections: each starts on the fast path, and is handed to Node's own
 * connection handling at the first request the fast path does not answer.
 */
export function installFastPath(server: Server, options: FastPathOptions): FastPath {
  // By default Node ends a connection as soon as the client half-closes it, so answers it has not
  // written yet are lost: those to requests handed over with (or behind) the FIN, or still being
  // worked out. With this Node ends it after its last answer, as the fast path does.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  const nodeListeners = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  const connections = new Set<FastConnection>();
  const toNode = (socket: Socket) => {
    for (const listener of nodeListeners) listener.call(server, socket);
  };
  const keepAlive = `timeout=${Math.floor(options.keepAliveMs / 1000)}`;
  const lifecycle = { draining: false };
  server.on('connection', (socket: Socket) => {
    connections.add(new FastConnection(socket, options, keepAlive, toNode, connections, lifecycle));
  });
  // One sweep for every idle connection, instead of a socket timer re-armed on every read and write.
  const sweep = setInterval(
    () => {
      const idleSince = Date.now() - options.keepAliveMs;
      for (const connection of connections) if (!connection.waiting && connection.lastActive < idleSince) connection.socket.destroy();
    },
    Math.min(options.keepAliveMs / 2, 5000),
  );
  sweep.unref();
  server.on('close', () => clearInterval(sweep));
  return {
    get size() {
      return connections.size;
    },
    drain: (graceMs) => {
      lifecycle.draining = true;
      const closeIdle = () => {
        for (const connection of connections) connection.closeIfIdle(graceMs);
      };
      setTimeout(closeIdle, graceMs).unref();
    },
    closeAll: () => {
      for (const connection of connections) connection.socket.destroy();
    },
  };
}

class FastConnection {
  /** An answer is being worked out: nothing more is read until it is sent. */
  waiting = false;
  /** The client has closed its side and every request it sent has been read: close ours once the last answer is out. */
  private ended = false;
  /** A request failed and the connection is closing: nothing after it is answered. */
  private closing = false;
  /** When the client last sent something (ms since the epoch): idle connections are closed after `keepAliveMs`. */
  lastActive = Date.now();
  private readonly remoteAddress: string | undefined;
  private readonly onData = (chunk: Buffer) => {
    this.lastActive = Date.now();
    this.consume(chunk, 0);
  };
  private readonly onEnd = () => {
    this.ended = true;
    if (!this.waiting) this.socket.end();
  };
  private readonly onError = () => this.socket.destroy();
  private readonly onClose = () => this.connections.delete(this);
  private readonly onDrain = () => this.resumeIfIdle();

  constructor(
    readonly socket: Socket,
    private readonly options: FastPathOptions,
    private readonly keepAlive: string,
    private readonly toNode: (socket: Socket) => void,
    private readonly connections: Set<FastConnection>,
    private readonly lifecycle: { readonly draining: boolean },
  ) {
    this.remoteAddress = socket.remoteAddress;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
  }

  /** Shutting down: a connection that had no request in hand for `idleMs` is closed (busy ones close after their answers). */
  closeIfIdle(idleMs: number): void {
    if (!this.waiting && !this.closing && this.socket.readableLength === 0 && Date.now() - this.lastActive >= idleMs) this.socket.end();
  }

  /** Answers every whole request in `chunk` from `offset`; hands the rest to Node when it cannot. */
  private consume(chunk: Buffer, offset: number): void {
    while (offset < chunk.length && !this.closing) {
      const end = chunk.indexOf(HEAD_END, offset);
      const request =
        end === -1 || end - offset > this.options.maxHeadBytes ? undefined : parseHead(chunk.toString('latin1', offset, end), this.options.paths, this.remoteAddress, this.options.prefix);
      if (!request) return this.handOff(chunk.subarray(offset));
      let answer: MaybePromise<GatewayResponse>;
      try {
        answer = this.options.handle(request);
      } catch (error) {
        return this.fail(error);
      }
      offset = end + HEAD_END.length;
      if (isPending(answer)) return this.answerLater(answer, request.method, chunk.subarray(offset));
      this.send(answer, request.method, offset === chunk.length);
    }
    this.resumeIfIdle();
  }

  /** Reads nothing more until the answer is sent: answers go out in request order. */
  private answerLater(answer: Promise<GatewayResponse>, method: string, rest: Buffer): void {
    this.waiting = true;
    this.socket.pause();
    // The requests behind this one wait in the socket's own buffer, which holds back 'end' until
    // they are read: a FIN that came with them does not end the connection before they are answered.
    if (rest.length > 0) this.socket.unshift(rest);
    answer.then(
      (response) => {
        this.waiting = false;
        this.lastActive = Date.now();
        if (this.socket.destroyed) return;
        this.send(response, method, true);
        if (this.closing) return;
        // 'end' came while this answer was worked out, so nothing was buffered behind it.
        if (this.ended) this.socket.end();
        else this.resumeIfIdle();
      },
      (error: unknown) => this.fail(error),
    );
  }

  /** `lastInHand`: no byte of another request follows in the chunk being read. */
  private send(response: GatewayResponse, method: string, lastInHand: boolean): void {
    // Shutting down, the last request received gets the last answer, which says so.
    const closing = this.lifecycle.draining && lastInHand && this.socket.readableLength === 0;
    let message: string;
    try {
      message = serialise(response, method === 'HEAD', closing ? undefined : this.keepAlive);
    } catch (error) {
      return this.fail(error);
    }
    if (!closing) return void this.socket.write(message);
    this.closing = true;
    this.socket.removeListener('data', this.onData);
    this.socket.end(message);
  }

  private fail(error: unknown): void {
    this.options.onError(error);
    this.waiting = false;
    this.closing = true;
    this.socket.removeListener('data', this.onData);
    if (this.socket.destroyed) return;
    this.socket.end(UNAVAILABLE);
    // What the client sent behind the failed request is read and dropped, so its FIN can close the socket.
    this.socket.resume();
  }

  private resumeIfIdle(): void {
    if (this.waiting || this.closing || this.socket.destroyed) return;
    // A client that sends faster than it reads is not read from until its answers drain.
    if (this.socket.writableNeedDrain) this.socket.pause();
    else this.socket.resume();
  }

  /** From here on Node's HTTP server owns the connection, starting at `rest` (a request's first byte). */
  private handOff(rest: Buffer): void {
    const { socket } = this;
    socket.pause();
    socket.removeListener('data', this.onData);
    socket.removeListener('end', this.onEnd);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
    socket.removeListener('drain', this.onDrain);
    this.connections.delete(this);
    socket.unshift(rest);
    this.toNode(socket);
    socket.resume();
  }
}

/** The authenticate request in `head` (without its final blank line), or undefined when it is not one this path answers. */
export function parseHead(head: string, paths: ReadonlySet<string>, remoteAddress: string | undefined, prefix?: string): GatewayRequest | undefined {
  let lineEnd = head.indexOf('\r\n');
  if (lineEnd === -1) lineEnd = head.length;
  const requestLine = REQUEST_LINE.exec(head.slice(0, lineEnd));
  if (!requestLine || !ANSWERED_METHODS.has(requestLine[1] ?? '')) return undefined;
  const target = requestLine[2] ?? '';
  const queryAt = target.search(/[?#]/);
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  if (!paths.has(path) && (prefix === undefined || !path.startsWith(prefix))) return undefined;

  const headers = new Map<string, string>();
  while (lineEnd < head.length) {
    const start = lineEnd + 2;
    lineEnd = head.indexOf('\r\n', start);
    if (lineEnd === -1) lineEnd = head.length;
    const line = head.slice(start, lineEnd);
    const colon = line.indexOf(':');
    if (colon <= 0 || CONTROL.test(line)) return undefined;
    const name = line.slice(0, colon);
    if (!HTTP_TOKEN.test(name)) return undefined; // also an obsolete folded line, which starts with a blank
    const key = name.toLowerCase();
    if (headers.has(key) || headers.size === MAX_HEADERS) return undefined; // Node has rules for repeats and counts; let it apply them
    headers.set(key, trimBlanks(line.slice(colon + 1)));
  }
  if (!headers.has('host')) return undefined;
  // Framing and protocol changes are Node's business; a sub-request has no body.
  if (headers.has('transfer-encoding') || headers.has('upgrade') || headers.has('expect')) return undefined;
  const length = headers.get('content-length');
  if (length !== undefined && length !== '0') return undefined;
  const connection = headers.get('connection');
  if (connection !== undefined && connection.toLowerCase() !== 'keep-alive') return undefined;
  return new FastRequest(requestLine[1] ?? 'GET', path, target, headers, remoteAddress);
}

class FastRequest implements GatewayRequest {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly target: string,
    private readonly headers: Map<string, string>,
    readonly remoteAddress: string | undefined,
  ) {}

  header(name: string): string | undefined {
    return this.headers.get(name);
  }
}

/** Optional whitespace around a field value is spaces and tabs only (String#trim would also eat U+00A0). */
function trimBlanks(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 32 || value.charCodeAt(start) === 9)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 32 || value.charCodeAt(end - 1) === 9)) end--;
  return value.slice(start, end);
}

/**
 * The response as one string; every header the gateway sets is visible ASCII (`headerSafe`), checked
 * again when its lines are written (once, for prepared headers). Without `keepAlive` the connection closes after it.
 */
export function serialise(response: GatewayResponse, headOnly: boolean, keepAlive: string | undefined): string {
  const connection = keepAlive === undefined ? 'Connection: close' : `Connection: keep-alive\r\nKeep-Alive: ${keepAlive}`;
  const message = `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? 'Unknown'}\r\n${response.headerLines ?? headerLinesOf(response.headers)}Content-Length: ${Buffer.byteLength(response.body)}\r\nDate: ${httpDate()}\r\n${connection}\r\n\r\n`;
  return headOnly ? message : message + response.body;
}

let dateSecond = -1;
let dateText = '';

/** The Date header, made once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
