import 'server-only';
import { z } from 'zod';
import type { Config } from '@/lib/config/schema';
import { hasActiveTokenNamed } from '@/db/tokens';
import { AppError } from '@/lib/errors';
import { restrictionsFromForm } from '@/lib/portal/restrictions-form';
import type { Runtime } from '@/lib/runtime';
import { hasRestrictions } from '@/lib/tokens/restrictions';
import { CUSTOM_EXPIRY, expiresAtOf, expiryOptions } from './expiry';

const text = z.string().optional();

/** The create-token form as submitted; the token service validates the rest (scopes, limits). */
const tokenForm = z.object({
  name: z.string().default(''),
  description: text,
  scopes: z.array(z.string()),
  expires_in: z.string({ error: 'choose when the token expires' }),
  expires_at: text,
});

const formText = (formData: FormData, name: string) => formData.get(name) ?? undefined;

/** FormData → the body `TokenService.create` takes (`expires_in` preset or `expires_at` date, optional restrictions). */
export function tokenBodyFromForm(formData: FormData, tokens: Pick<Config['tokens'], 'max_lifetime' | 'default_lifetime'>): Record<string, unknown> & { name: string } {
  const form = tokenForm.parse({
    name: formText(formData, 'name'),
    description: formText(formData, 'description'),
    scopes: formData.getAll('scopes'),
    expires_in: formText(formData, 'expires_in'),
    expires_at: formText(formData, 'expires_at'),
  });
  const description = form.description?.trim() ? form.description : undefined;
  const restrictions = restrictionsFromForm(formData);
  const base = { name: form.name, description, scopes: form.scopes, ...(hasRestrictions(restrictions) ? { restrictions } : {}) };

  if (form.expires_in === CUSTOM_EXPIRY) {
    const date = form.expires_at?.trim() ?? '';
    if (date === '') throw new AppError('invalid_input', 'no date', { fields: { expires_at: ['enter a date as yyyy-mm-dd'] } });
    const day = /^\d{4}-\d{2}-\d{2}$/.test(date) ? new Date(expiresAtOf(date)) : undefined;
    if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== date) {
      throw new AppError('invalid_input', 'bad date', { fields: { expires_at: ['write the date as yyyy-mm-dd, e.g. 2027-01-31'] } });
    }
    return { ...base, expires_at: expiresAtOf(date) };
  }
  // Only the presets the page offered: a hand-made request cannot pick another duration here.
  if (!expiryOptions(tokens).presets.some((p) => p.value === form.expires_in)) {
    throw new AppError('invalid_input', 'unknown expiry', { fields: { expires_in: ['choose one of the offered periods or a date'] } });
  }
  return { ...base, expires_in: form.expires_in };
}

/** A second working token of the same name is allowed (a rotation-by-hand needs it), but said: lists would show two alike. */
export async function duplicateNameWarning(runtime: Runtime, ownerId: string, name: string, who = 'You'): Promise<string | undefined> {
  const trimmed = name.trim();
  if (trimmed === '' || !(await hasActiveTokenNamed(runtime.database.db, ownerId, trimmed))) return undefined;
  return `${who} already ${who === 'You' ? 'have' : 'has'} an active token named "${trimmed}". Both work; tell them apart by the start of the token shown in the list, or revoke the old one.`;
}
