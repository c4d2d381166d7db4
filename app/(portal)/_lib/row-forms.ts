import 'server-only';
import { z } from 'zod';
import { GRACE_CHOICES } from '@/lib/portal/action-state';

// Form fields of the row actions; the service checks ownership and existence itself.
export const tokenIdForm = z.object({ id: z.string({ error: 'no token given' }).min(1, 'no token given') });

export const rotateForm = tokenIdForm.extend({
  grace_period: z.enum(
    GRACE_CHOICES.map((c) => c.value),
    { error: 'choose when the old secret stops working' },
  ),
});
