import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '@/db/unavailable';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
/** drizzle's wrapper: its message names the query and its parameters, the driver's error is the cause. */
const drizzleWrapped = (cause: unknown, params = '') => Object.assign(new Error(`Failed query: select 1\nparams: ${params}`), { query: 'select 1', cause });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['reset', withCode('ECONNRESET')],
    ['admin shutdown', withCode('57P01', 'terminating connection due to administrator command')],
    ['crash shutdown', withCode('57P02')],
    ['starting up', withCode('57P03', 'the database system is starting up')],
    ['too many connections', withCode('53300')],
    ['connection exception (pgbouncer)', withCode('08P01', 'no more connections allowed (max_client_conn)')],
    ['connection failure', withCode('08006')],
    ['pool timeout', new Error('timeout exceeded when trying to connect')],
    ['terminated', new Error('Connection terminated unexpectedly')],
    ['not queryable', new Error('Client has encountered a connection error and is not queryable')],
    ['pool ended', new Error('Cannot use a pool after calling end on the pool')],
    ['PGlite closed', new Error('PGlite is closed')],
    ['wrapped by drizzle', drizzleWrapped(withCode('ECONNREFUSED'))],
    ['pool timeout with its cause', drizzleWrapped(new Error('Connection terminated due to connection timeout', { cause: new Error('Connection terminated unexpectedly') }))],
    ['every address refused', drizzleWrapped(Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]), { code: 'ECONNREFUSED' }))],
    ['every address refused, no code on the aggregate', new AggregateError([withCode('ECONNREFUSED')])],
  ])('%s → unavailable', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['unique violation', drizzleWrapped(withCode('23505', 'duplicate key value violates unique constraint'))],
    ['syntax error', withCode('42601')],
    ['a query whose parameters contain the words', drizzleWrapped(withCode('23505'), 'Connection terminated')],
    ['a plain error', new Error('something else')],
    ['not an error', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('%s → not unavailable', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
