import type { Metadata } from 'next';
import { requirePortalSession } from '@/lib/portal/session';

export const metadata: Metadata = { title: 'Your tokens - Auth-O-Tron' };

export default async function TokensPage() {
  await requirePortalSession('/tokens');
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-bold">Your tokens</h1>
      <section aria-label="Token list" className="rounded border border-dashed border-slate-300 bg-white p-6 text-slate-700">
        <p>You have no API tokens yet.</p>
      </section>
    </div>
  );
}
