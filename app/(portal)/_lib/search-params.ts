import { tokenStatus } from '@/lib/tokens/schemas';

export type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** The first value of a query parameter, trimmed; undefined when empty. */
export function param(params: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = params[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

export function statusParam(params: Record<string, string | string[] | undefined>) {
  return tokenStatus.safeParse(param(params, 'status')).data;
}

/** A query string from the set values only, so addresses stay short and shareable. */
export function queryHref(path: string, values: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== '' && !(key === 'page' && value === 1)) query.set(key, String(value));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
