import type { ReactNode } from 'react';

/** One labelled fact of a card (a term and its value in a <dl>). */
export function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-semibold tracking-wide text-slate-600 uppercase">{term}</dt>
      <dd className="mt-0.5">{children}</dd>
    </div>
  );
}
