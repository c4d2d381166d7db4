import type { TokenView } from '@/lib/tokens/schemas';

const LOOK: Record<TokenView['status'], { label: string; className: string }> = {
  active: { label: 'Active', className: 'border-green-700 bg-green-50 text-green-900' },
  expired: { label: 'Expired', className: 'border-slate-500 bg-slate-100 text-slate-800' },
  revoked: { label: 'Revoked', className: 'border-red-700 bg-red-50 text-red-900' },
};

/** The status as a word; the colour only repeats it. */
export function StatusBadge({ status }: { status: TokenView['status'] }) {
  const { label, className } = LOOK[status];
  return <span className={`inline-block rounded border px-2 py-0.5 text-xs font-semibold ${className}`}>{label}</span>;
}
