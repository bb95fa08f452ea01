/**
 * A Redis URL, checked where it is given (a flag, an option) and shown without its password.
 * Apart from queue.ts so that checking one does not load the Redis client.
 */
import { UsageError } from './errors.js';
import { msg } from './messages.js';

/** A Redis URL as it may be shown: its password replaced. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
}

/** The URL checked once, where it is given: redis:// or rediss:// (TLS), with host, optional user, password and database. */
export function checkRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(msg.badRedisUrl(url.replace(/:[^@/]*@/, ':***@')));
  }
  if ((parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || !parsed.hostname) throw new UsageError(msg.badRedisUrl(shownUrl(url)));
  return url;
}

