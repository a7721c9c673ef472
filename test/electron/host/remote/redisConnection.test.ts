/**
 * The run queue's URL: user and password carried in it, `rediss://` turning TLS on in the client,
 * the password never shown (masked in `display` and in every message), and clear refusals of what
 * is not a Redis URL. No server is contacted (the clients are made with lazyConnect).
 */
import { describe, expect, it } from 'vitest';
import {
  createRedis,
  maskPassword,
  parseQueueUrl,
  QueueConnectionError,
} from '../../../../electron/host/remote/redisConnection';

describe('parseQueueUrl', () => {
  it('keeps user and password for the client and masks the password for people', () => {
    const url = parseQueueUrl(' redis://worker:s3cret@queue.example:6380 ');
    expect(url).toEqual({
      url: 'redis://worker:s3cret@queue.example:6380',
      display: 'redis://worker:***@queue.example:6380',
      host: 'queue.example',
      port: 6380,
      tls: false,
    });
    expect(parseQueueUrl('redis://:pw@127.0.0.1').port).toBe(6379);
    expect(maskPassword('rediss://:p@ss@h:1')).not.toContain('p@ss');
  });

  it('turns TLS on for rediss:// and leaves it off for redis://', () => {
    const secure = parseQueueUrl('rediss://:pw@queue.example:6379');
    expect(secure.tls).toBe(true);
    const client = createRedis(secure, { lazyConnect: true });
    expect(client.options.tls).toBeTruthy();
    expect(client.options.password).toBe('pw');
    client.disconnect();
    const plain = createRedis(parseQueueUrl('redis://:pw@queue.example:6379'), { lazyConnect: true });
    expect(plain.options.tls).toBeFalsy();
    plain.disconnect();
  });

  it('refuses what is not a Redis URL, with the password masked in the message', () => {
    expect(() => parseQueueUrl('http://user:hunter2@example')).toThrow(QueueConnectionError);
    expect(() => parseQueueUrl('http://user:hunter2@example')).toThrow(
      /must start with redis:\/\/ or rediss:\/\/, found "http:\/\/"/,
    );
    let message = '';
    try {
      parseQueueUrl('redis://:hunter2@');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/not a queue URL|names no host/);
    expect(message).not.toContain('hunter2');
    expect(() => parseQueueUrl('not a url')).toThrow(
      /is not a queue URL; expected redis:\/\/\[user:password@\]host:port/,
    );
  });
});
