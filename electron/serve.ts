/**
 * The browser shell (`npm run serve`): serves the built renderer over HTTP and WorkbenchApi over a
 * WebSocket at /api, on 127.0.0.1 by default. A random token in the page URL must accompany the
 * WebSocket connection, and its Origin must be this server, so other pages and other local users'
 * browsers cannot drive the workbench.
 */
import http from 'node:http';
import path from 'node:path';
import { createReadStream } from 'node:fs';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Command, InvalidArgumentError } from 'commander';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { OOD_MAX_UPLOAD_BYTES } from '../core/contract/ood';
import { wireRequestSchema, type WireReply, type WirePush } from '../core/contract/workbenchApi';
import type { ApiCaller, ApiHandler } from './host/apiHandler';
import { concurrencyOption } from './cli/concurrencyOption';
import { openHostServices, type HostServices } from './host/hostServices';
import { TokenBucket, type RateLimit } from './host/rateLimiter';
import { resolveRendererFile } from './host/rendererFiles';

class ServeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServeError';
  }
}

export interface BrowserShellOptions {
  port: number;
  host: string;
  runsDir: string;
  rendererDir?: string;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
  /**
   * Requests per second for the whole shell — every connection of every token holder draws on the
   * same bucket (default `defaultRateLimit`); over it a request is answered with an error.
   */
  rateLimit?: RateLimit;
  /** The same for the methods that queue work or read much (`expensiveMethods`), on top of `rateLimit`. */
  expensiveRateLimit?: RateLimit;
  /** WebSocket connections open at once (default `defaultMaxConnections`); more are refused with 503. */
  maxConnections?: number;
  /** A client whose unread replies pass this many bytes is disconnected (default `slowClientCloseBytes`). */
  slowClientCloseBytes?: number;
  /** Longest wait for one request (default: `requestTimeoutMs` per method); then it is answered with an error. */
  requestTimeoutMs?: number;
  /**
   * Host services to serve instead of opening new ones on `runsDir` (tests that drive two
   * transports over one host); the caller then also closes them.
   */
  services?: HostServices;
  /** The run queue's Redis URL: runs started with "Run on: queue" go to queue workers (electron/host/remote). */
  queueUrl?: string;
  /** Local runs trained at once (default 1). */
  concurrency?: number;
}

export interface BrowserShell {
  /** The page URL, token included. */
  url: string;
  port: number;
  token: string;
  /** WebSocket connections open now. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Requests above this are answered with an error (the connection stays open)… */
const maxRequestBytes = 1024 * 1024;
/** …except image files sent to be classified: their bytes, base64, plus the request around them. */
const maxUploadRequestBytes = Math.ceil(OOD_MAX_UPLOAD_BYTES / 3) * 4 + 64 * 1024;
const uploadMethod = 'classifyImageFiles';
/** Above this ws drops the connection: nothing legitimate comes close. */
const hardPayloadLimit = 16 * 1024 * 1024;
/** A client this far behind misses live progress/metrics (they are in getRunEvents), not status. */
const slowClientBytes = 8 * 1024 * 1024;
/**
 * A client this far behind is not reading at all (a live dashboard is a few kB/s): it is
 * disconnected with a close reason, rather than letting its replies pile up in the host's memory.
 */
export const slowClientCloseBytes = 32 * 1024 * 1024;
/**
 * For the whole shell, not per connection: opening more connections must not buy more requests.
 * The renderer's busiest moment (opening a run: a handful of requests) fits in the burst many
 * times over; a client sustaining more than this is looping or hostile.
 */
export const defaultRateLimit: RateLimit = { burst: 200, perSecond: 50 };
/** Methods that queue training or classification work, or read whole run folders. */
export const expensiveMethods: ReadonlySet<string> = new Set([
  'startRun',
  'startSweep',
  'resumeRun',
  'deleteRun',
  'classifyImages',
  'classifyImageFiles',
  'calibrateThreshold',
  'evaluateOod',
  'evaluateShift',
  'combineRunsIntoEnsemble',
  'fitPosthoc',
]);
/** Enough to start a sweep by hand; a script starting runs in a loop is stopped within a second. */
export const defaultExpensiveRateLimit: RateLimit = { burst: 20, perSecond: 2 };
/** A few browser tabs; each holds one connection. */
export const defaultMaxConnections = 16;
/** Per method: how long a request may take before it is answered with an error. */
export function requestTimeoutMs(method: string): number {
  // An OOD evaluation classifies thousands of images between training steps; a drop, a few dozen.
  if (
    method === 'evaluateOod' ||
    method === 'evaluateShift' ||
    method === 'combineRunsIntoEnsemble' ||
    method === 'fitPosthoc'
  )
    return 15 * 60_000;
  if (method === 'classifyImages' || method === 'classifyImageFiles' || method === 'calibrateThreshold')
    return 5 * 60_000;
  return 60_000;
}
const defaultRendererDir = fileURLToPath(new URL('../dist/renderer/', import.meta.url));

export async function startBrowserShell(options: BrowserShellOptions): Promise<BrowserShell> {
  const rendererDir = options.rendererDir ?? defaultRendererDir;
  const token = options.token ?? randomBytes(24).toString('base64url');
  const ownServices = !options.services;
  const { api, runManager } =
    options.services ??
    (await openHostServices({
      runsDir: options.runsDir,
      shell: 'browser',
      warn: (message) => console.error(`Bayesian Workbench: ${message}`),
      ...(options.queueUrl ? { queueUrl: options.queueUrl } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    }));
  const closeServices = () => (ownServices ? runManager.close() : Promise.resolve());
  const limits: ConnectionLimits = {
    // One bucket each for the whole shell: five sockets get what one gets.
    requests: new TokenBucket(options.rateLimit ?? defaultRateLimit),
    expensive: new TokenBucket(options.expensiveRateLimit ?? defaultExpensiveRateLimit),
    slowClientCloseBytes: options.slowClientCloseBytes ?? slowClientCloseBytes,
    timeoutMs: options.requestTimeoutMs === undefined ? requestTimeoutMs : () => options.requestTimeoutMs!,
  };
  const maxConnections = options.maxConnections ?? defaultMaxConnections;

  const server = http.createServer((request, response) => {
    void serveRendererFile(rendererDir, request, response);
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: hardPayloadLimit });
  let allowedHosts: Set<string> | null = null; // known once listening

  server.on('upgrade', (request, socket: Duplex, head) => {
    const refusal = refuseUpgrade(request, token, allowedHosts);
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    if (sockets.clients.size >= maxConnections) {
      const body = `The workbench already serves ${maxConnections} connections, the most it takes; close another tab and reload.\n`;
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client) => serveApi(client, api, limits));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new ServeError(
              `Port ${options.port} on ${options.host} is already in use; pass --port 0 to take any free port.`,
            )
          : error,
      );
    });
    server.listen(options.port, options.host, () => resolve());
  }).catch(async (error) => {
    await closeServices();
    throw error;
  });

  const port = (server.address() as AddressInfo).port;
  const wildcard = options.host === '0.0.0.0' || options.host === '::';
  const shownHost = wildcard ? '127.0.0.1' : options.host.includes(':') ? `[${options.host}]` : options.host;
  // With a wildcard bind the machine's other names are legitimate; the Origin check still applies.
  allowedHosts = wildcard ? null : allowedHostHeaders(shownHost, port);

  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    get connections() {
      return sockets.clients.size;
    },
    async close() {
      for (const client of sockets.clients) client.close(1001, 'The workbench is shutting down.');
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeServices();
    },
  };
}

/**
 * The Host headers a page of this server sends: its name with the port — and without it on port
 * 80, since browsers leave the default port out of Host (and of Origin).
 */
export function allowedHostHeaders(shownHost: string, port: number): Set<string> {
  const names = [...new Set([shownHost, '127.0.0.1', 'localhost', '[::1]'])];
  return new Set(names.flatMap((name) => (port === 80 ? [`${name}:${port}`, name] : [`${name}:${port}`])));
}

/** The status line to refuse a WebSocket upgrade with, or null to accept it. */
function refuseUpgrade(request: http.IncomingMessage, token: string, allowedHosts: Set<string> | null): string | null {
  const url = new URL(request.url ?? '/', 'http://placeholder');
  if (url.pathname !== '/api') return '404 Not Found';
  const given = Buffer.from(url.searchParams.get('token') ?? '');
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return '401 Unauthorized';
  const host = request.headers.host ?? '';
  if (allowedHosts && !allowedHosts.has(host)) return '403 Forbidden'; // DNS rebinding
  // Browsers always send Origin on WebSocket handshakes; a client without one is not a web page.
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return '403 Forbidden';
  return null;
}

interface ConnectionLimits {
  requests: TokenBucket;
  expensive: TokenBucket;
  slowClientCloseBytes: number;
  timeoutMs(method: string): number;
}

/**
 * A token holder can name no host path: the browser shell has no path capability, so classifyFiles
 * does not exist for it (files arrive as bytes, classifyImageFiles). The token may have leaked to
 * another local user or, with --host, to another machine; the disk stays out of its reach.
 */
const browserCaller: ApiCaller = {};

/** WebSocket close code 1008 (policy violation): the reason says which policy. */
const closePolicyViolation = 1008;

function serveApi(client: WebSocket, api: ApiHandler, limits: ConnectionLimits): void {
  const send = (message: WireReply | WirePush) => {
    if (client.readyState !== client.OPEN) return;
    if (client.bufferedAmount > limits.slowClientCloseBytes) {
      // Not reading: what it has not read would otherwise grow in this process without bound. A
      // client that does not read will not answer the close handshake either: cut it a moment later.
      // (After close() the state is CLOSING, so this happens once.)
      client.close(
        closePolicyViolation,
        `Disconnected: more than ${Math.round(limits.slowClientCloseBytes / 1024 / 1024)} MB of replies unread; reconnect.`,
      );
      setTimeout(() => client.terminate(), 1000).unref();
      return;
    }
    client.send(JSON.stringify(message));
  };
  const unsubscribe = api.onRunEvent((event) => {
    const droppable = event.type === 'progress' || event.type === 'metrics';
    if (droppable && client.bufferedAmount > slowClientBytes) return;
    send({ event });
  });
  client.on('close', unsubscribe);
  client.on('error', unsubscribe);
  client.on('message', (data: RawData) => {
    void answer(data).then(send);
  });

  async function answer(data: RawData): Promise<WireReply> {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const oversized = () =>
      `The request is ${bytes.length} bytes; requests are limited to ${maxRequestBytes} bytes (${uploadMethod}: ${maxUploadRequestBytes}).`;
    if (bytes.length > maxUploadRequestBytes) return { id: null, ok: false, error: oversized() };
    // Taken before parsing: a flood costs the host as little as possible.
    const allowed = limits.requests.take();
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      return { id: null, ok: false, error: `The request is not valid JSON (${(error as Error).message}).` };
    }
    const id =
      typeof (json as { id?: unknown } | null)?.id === 'number' && Number.isSafeInteger((json as { id: number }).id)
        ? (json as { id: number }).id
        : null;
    if (!allowed) return { id, ok: false, error: tooManyRequests('the workbench', limits.requests) };
    const request = wireRequestSchema.safeParse(json);
    if (!request.success) {
      const issue = request.error.issues[0];
      return {
        id,
        ok: false,
        error: `The request is not a WorkbenchApi request: ${issue?.path.map(String).join('.') || 'request'}: ${issue?.message}.`,
      };
    }
    const { method, args } = request.data;
    if (bytes.length > maxRequestBytes && method !== uploadMethod) return { id, ok: false, error: oversized() };
    if (expensiveMethods.has(method) && !limits.expensive.take()) {
      return {
        id,
        ok: false,
        error: tooManyRequests(`${method} (with the other methods that queue work)`, limits.expensive),
      };
    }
    const timeoutMs = limits.timeoutMs(method);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${method} did not finish within ${timeoutMs / 1000} s and was abandoned; the host may be busy — try again, or look at the server's log.`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      // The work itself goes on (it cannot be cancelled), but the client is not left waiting forever.
      return {
        id: request.data.id,
        ok: true,
        result: await Promise.race([api.call(method, args, browserCaller), timedOut]),
      };
    } catch (error) {
      return { id: request.data.id, ok: false, error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}

function tooManyRequests(who: string, bucket: TokenBucket): string {
  const { burst, perSecond } = bucket.limit;
  return `Too many requests: ${who} takes ${perSecond} per second from all connections together (bursts of ${burst}); this one was refused, try again in ${bucket.msUntilNextToken()} ms.`;
}

async function serveRendererFile(
  rendererDir: string,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  const headers = {
    'X-Content-Type-Options': 'nosniff',
    // The token is in the page URL; never send it on as a Referer.
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy':
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response
      .writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' })
      .end('Only GET and HEAD are served.\n');
    return;
  }
  const found = await resolveRendererFile(rendererDir, new URL(request.url ?? '/', 'http://placeholder').pathname);
  if (!found) {
    response.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found.\n');
    return;
  }
  const cache = path.basename(found.file) === 'index.html' ? 'no-store' : 'public, max-age=3600';
  response.writeHead(200, { ...headers, 'Content-Type': found.contentType, 'Cache-Control': cache });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  createReadStream(found.file)
    .on('error', () => response.destroy())
    .pipe(response);
}

/** 127.0.0.0/8, ::1 and "localhost" are reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(?:\.\d{1,3}){3}$/.test(bare);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new InvalidArgumentError(`"${value}" is not a port number (0–65535).`);
  return port;
}

async function main(): Promise<void> {
  const options = new Command('serve')
    .description('Serve Bayesian Workbench to a browser on this machine.')
    .option('--port <port>', 'port to listen on (0: any free port)', parsePort, 5178)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--runs-dir <dir>', 'folder that holds the run folders', './runs')
    .option(
      '--queue <url>',
      'Redis URL of the run queue (redis://[user:password@]host:port, rediss:// for TLS): lets runs go to `npm run worker` processes',
      process.env.WORKBENCH_QUEUE_URL,
    )
    .option(
      '--concurrency <n>',
      'local runs trained at once (default 1: a run may use every core itself)',
      concurrencyOption,
    )
    .parse(process.argv)
    .opts<{ port: number; host: string; runsDir: string; queue?: string; concurrency?: number }>();

  if (!isLoopbackHost(options.host)) {
    console.error(
      `Bayesian Workbench: warning: --host ${options.host} is not a loopback address, so other machines can reach this server. ` +
        'Anyone who learns the URL (its token) can start runs and read every run; use it only on a network you trust.',
    );
  }
  const shell = await startBrowserShell({
    port: options.port,
    host: options.host,
    runsDir: path.resolve(options.runsDir),
    ...(options.queue ? { queueUrl: options.queue } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  });
  if (!(await resolveRendererFile(defaultRendererDir, '/'))) {
    console.error(
      `Bayesian Workbench: the renderer is not built (no ${path.join(defaultRendererDir, 'index.html')}); run "npm run build:renderer".`,
    );
  }
  // Exactly one stdout line: the e2e helper and users read the URL from it.
  process.stdout.write(`Bayesian Workbench: ${shell.url}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`Bayesian Workbench: ${signal} received, stopping.`);
    shell.close().then(
      () => process.exit(0),
      (error) => {
        console.error(`Bayesian Workbench: stopping failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(`Bayesian Workbench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
