import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

// Secrets are never passed to the logger on purpose; these paths are the second line of defence.
const SECRET_KEYS = [
  'password',
  'password_hash',
  'authorization',
  'token',
  'secret',
  'client_secret',
  'private_client_secret',
  'refresh_token',
  'access_token',
  'api_key',
  'apikey',
  'credential',
  'ldap_password',
  'private_key',
  'cookie',
];
export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`]);

export interface LoggingOptions {
  level: string;
  format: 'json' | 'console';
  service_name?: string;
}

export function createLogger(options: LoggingOptions, destination?: NodeJS.WritableStream): Logger {
  const base = { service: options.service_name ?? 'auth-o-tron' };
  const settings = { level: options.level, base, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (options.format === 'console' && !destination) {
    return pino(settings, pretty({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }));
  }
  return destination ? pino(settings, destination) : pino(settings);
}
