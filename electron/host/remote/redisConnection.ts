/**
 * The Redis behind the run queue: a URL (`redis://[user:password@]host:port`, or `rediss://` for
 * TLS, which ioredis turns on by itself) checked once, connections made from it, and Redis's and
 * the socket's errors turned into sentences a user can act on (wrong password, nothing listening).
 * The password never appears in a message: URLs are shown with it masked.
 */
import { Redis, type RedisOptions } from 'ioredis';

export class QueueConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueConnectionError';
  }
}

export interface QueueUrl {
  /** As given, password included: only ever handed to ioredis. */
  url: string;
  /** For messages: `redis://user:***@host:port`. */
  display: string;
  host: string;
  port: number;
  tls: boolean;
}

/** Checks a queue URL's form; throws a QueueConnectionError that says what is wrong. */
export function parseQueueUrl(text: string): QueueUrl {
  let parsed: URL;
  try {
    parsed = new URL(text.trim());
  } catch {
    throw new QueueConnectionError(
      `"${maskPassword(text)}" is not a queue URL; expected redis://[user:password@]host:port or rediss://… for TLS.`,
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new QueueConnectionError(
      `The queue URL must start with redis:// or rediss://, found "${parsed.protocol}//" in "${maskPassword(text)}".`,
    );
  if (!parsed.hostname)
    throw new QueueConnectionError(`The queue URL "${maskPassword(text)}" names no host; expected redis://host:port.`);
  const port = parsed.port ? Number(parsed.port) : 6379;
  return {
    url: text.trim(),
    display: maskPassword(text.trim()),
    host: parsed.hostname,
    port,
    tls: parsed.protocol === 'rediss:',
  };
}

/** The URL with its password replaced by ***. */
export function maskPassword(text: string): string {
  return text.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

/**
 * A connection for BullMQ and the streams: commands wait through reconnects (a restarted
 * redis-server is reached again and nothing sent is dropped), as BullMQ requires for its workers.
 */
export function createRedis(queueUrl: QueueUrl, options: RedisOptions = {}): Redis {
  return new Redis(queueUrl.url, {
    maxRetriesPerRequest: null,
    // Reconnect quickly at first, then every 2 s: a restarted redis-server is back within seconds.
    retryStrategy: (times) => Math.min(100 * times, 2000),
    ...options,
  });
}

/** A sentence for an error of Redis or of the socket to it. */
export function describeRedisError(error: unknown, queueUrl: QueueUrl): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `Redis at ${queueUrl.host}:${queueUrl.port}`;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message))
    return `${where} refused the user name or password in the queue URL (${queueUrl.display}); check them against the server's requirepass or ACL.`;
  if (/NOAUTH/i.test(message))
    return `${where} requires a password and the queue URL (${queueUrl.display}) has none; use redis://user:password@${queueUrl.host}:${queueUrl.port}.`;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message))
    return `${where} cannot be reached: nothing accepts connections there (ECONNREFUSED). Is redis-server running, and is the port right?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /ENOTFOUND|EAI_AGAIN/.test(message))
    return `${where} cannot be reached: the host name "${queueUrl.host}" does not resolve.`;
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message))
    return `${where} cannot be reached: the connection timed out. Check the host, the port and any firewall between.`;
  if (/SSL|TLS|certificate|EPROTO/i.test(message))
    return `${where} failed the TLS handshake (${message}); use rediss:// only for a server that speaks TLS, and redis:// otherwise.`;
  return `${where} answered with an error: ${message}`;
}

/**
 * Connects once, with no retries, and PINGs: resolves when Redis answers, rejects with a
 * QueueConnectionError whose message says why not (wrong password, unreachable, …).
 */
export async function probeRedis(queueUrl: QueueUrl, timeoutMs = 3000): Promise<void> {
  const probe = new Redis(queueUrl.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
  });
  let lastError: unknown = null;
  probe.on('error', (error) => {
    lastError = error;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new QueueConnectionError(describeRedisError(lastError ?? error, queueUrl));
  } finally {
    probe.disconnect();
  }
}
