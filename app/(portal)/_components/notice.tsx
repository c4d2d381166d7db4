'use client';

import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';

type Announce = (message: string) => void;
const NoticeContext = createContext<Announce | null>(null);

/**
 * A success message above a list that outlives the row it is about: a revoked token leaves a
 * "active only" view, a disabled user an "enabled" one, yet the person is still told it worked.
 * Focus moves to the message, since the button pressed may be gone.
 */
export function NoticeArea({ children }: { children: ReactNode }) {
  const [notice, setNotice] = useState<{ message: string; at: number }>();
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) ref.current?.focus();
  }, [notice]);
  return (
    <NoticeContext value={(message) => setNotice({ message, at: Date.now() })}>
      <p ref={ref} tabIndex={-1} role="status" data-testid="notice" className={notice ? 'rounded border border-green-700 bg-green-50 p-3 text-sm font-medium text-green-900' : 'sr-only'}>
        {notice && <span aria-hidden="true">✓ </span>}
        {notice?.message}
      </p>
      {children}
    </NoticeContext>
  );
}

/** Announces in the nearest NoticeArea; null outside one. */
export function useNotice(): Announce | null {
  return useContext(NoticeContext);
}
