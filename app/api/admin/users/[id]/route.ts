import { apiRoute } from '@/lib/portal/api';

export const dynamic = 'force-dynamic';
/** `{"disabled": true}` disables the user (their tokens stop at once); `false` enables them again. */
export const PATCH = apiRoute<{ id: string }>(async ({ actor, runtime, params, body }) => runtime.admin.setDisabled(actor, params.id, await body()), { admin: true });
