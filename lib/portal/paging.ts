import { z } from 'zod';
import { AppError } from '../errors';

/** Lists page the same way everywhere (pages and JSON API): 50 a page unless asked, at most 200. */
export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 200;

const pageNumber = z.coerce.number({ error: 'expected a whole number from 1' }).int('expected a whole number from 1').min(1, 'expected a whole number from 1').max(1_000_000);
const perPage = z.coerce
  .number({ error: `expected a whole number from 1 to ${MAX_PER_PAGE}` })
  .int()
  .min(1)
  .max(MAX_PER_PAGE, `at most ${MAX_PER_PAGE}`);

export interface PageRequest {
  page: number;
  perPage: number;
}

/**
 * `page` and `per_page` from a query (`page_size`, the audit API's old name, is still accepted);
 * invalid values are a 422 naming the parameter.
 */
export function pageRequest(query: (name: string) => string | undefined): PageRequest {
  const fields: Record<string, string[]> = {};
  const read = (name: string, schema: z.ZodType<number>, fallback: number) => {
    const raw = query(name);
    if (raw === undefined || raw === '') return fallback;
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    fields[name] = parsed.error.issues.map((i) => i.message);
    return fallback;
  };
  const page = read('page', pageNumber, 1);
  const sizeName = query('per_page') === undefined && query('page_size') !== undefined ? 'page_size' : 'per_page';
  const size = read(sizeName, perPage, DEFAULT_PER_PAGE);
  if (Object.keys(fields).length > 0) throw new AppError('invalid_input', 'invalid paging parameters', { fields });
  return { page, perPage: size };
}

/** For pages: a bad `?page=` shows the first page rather than an error. */
export function pageOf(value: string | string[] | undefined): number {
  const parsed = pageNumber.safeParse(Array.isArray(value) ? value[0] : value);
  return parsed.success ? parsed.data : 1;
}

export const windowOf = ({ page, perPage }: PageRequest) => ({ offset: (page - 1) * perPage, limit: perPage });

/** What every paged answer says besides its items. */
export interface PageInfo {
  page: number;
  per_page: number;
  total: number;
  /** At least 1, so "page 1 of 1" reads right for an empty list. */
  pages: number;
}

export function pageInfo({ page, perPage }: PageRequest, total: number): PageInfo {
  return { page, per_page: perPage, total, pages: Math.max(1, Math.ceil(total / perPage)) };
}
