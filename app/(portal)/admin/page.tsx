import type { Metadata } from 'next';
import { requireAdminSession } from '@/lib/portal/session';

export const metadata: Metadata = { title: 'Administration - Auth-O-Tron' };

export default async function AdminPage() {
  await requireAdminSession('/admin');
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-bold">Administration</h1>
      <section aria-label="All tokens" className="rounded border border-dashed border-slate-300 bg-white p-6 text-slate-700">
        <p>Every user's API tokens and the audit log are listed here.</p>
      </section>
    </div>
  );
}
