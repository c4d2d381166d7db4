import type { ReactNode } from 'react';
import { focusRing } from './styles';

/**
 * Wide tables scroll sideways inside this labelled region on narrow screens instead of widening
 * the page; it is focusable so keyboard users can scroll it too. `relative`: screen-reader-only
 * text inside (absolutely positioned) would otherwise escape the scroller and widen the page.
 */
export function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div role="region" aria-label={label} tabIndex={0} className={`relative overflow-x-auto rounded border border-slate-300 bg-white ${focusRing}`}>
      {children}
    </div>
  );
}

export const thClass = 'border-b border-slate-300 bg-slate-100 px-3 py-2 text-left text-sm font-semibold';
export const tdClass = 'border-b border-slate-200 px-3 py-2 align-top text-sm';
