import 'server-only';
import { sql, type SQL } from 'drizzle-orm';

/** Postgres's limit on the parameters of one statement (the wire protocol's 16-bit count). */
export const MAX_PARAMETERS = 65_535;
const MAX_ROWS = 5_000;

/**
 * Splits a batch into statements a few thousand rows long, each under the parameter limit: a burst of
 * first uses (a new replica, thousands of tokens a second) fills a batch faster than one statement carries.
 */
export function* chunks<T>(items: T[], parametersPerRow: number): Generator<T[]> {
  const rows = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMETERS / parametersPerRow)));
  for (let i = 0; i < items.length; i += rows) yield items.slice(i, i + rows);
}

/**
 * A batch as one parameter (`jsonb_to_recordset`), to select from `as v(col type, ...)`: building a
 * statement with parameters per row costs the query builder more than the database spends on it.
 */
export function jsonRows(rows: readonly object[]): SQL {
  return sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)`;
}

/** Strings as one parameter, for `column = any(...)`: an array the planner looks up by index, whatever its length. */
export function jsonTexts(values: readonly string[]): SQL {
  return sql`array(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;
}
