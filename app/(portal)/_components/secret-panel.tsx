'use client';

import { useEffect, useId, useRef, useState } from 'react';
import type { IssuedSecret } from '@/lib/portal/action-state';
import { buttonClass } from './styles';

type CopyState = 'idle' | 'copied' | 'failed';

/**
 * The one and only display of a new secret. It lives in the page's memory (the action's result),
 * so a reload or another visit never shows it again. Focus moves here so nobody misses it.
 */
export function SecretPanel({ issued, onDismiss }: { issued: IssuedSecret; onDismiss?: () => void }) {
  const id = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [copy, setCopy] = useState<CopyState>('idle');

  useEffect(() => {
    headingRef.current?.focus();
    setCopy('idle');
  }, [issued.secret]);

  async function copySecret() {
    try {
      await navigator.clipboard.writeText(issued.secret);
      setCopy('copied');
    } catch {
      setCopy('failed'); // no clipboard permission or an insecure origin: the text can still be selected
    }
  }

  return (
    <section aria-labelledby={`${id}-heading`} data-testid="secret-panel" className="space-y-3 rounded border-2 border-amber-600 bg-amber-50 p-4">
      <h2 id={`${id}-heading`} ref={headingRef} tabIndex={-1} className="text-lg font-bold text-amber-950 focus-visible:outline focus-visible:outline-3 focus-visible:outline-blue-600">
        Copy your new token now
      </h2>
      <p id={`${id}-warning`} className="text-amber-950">
        <strong>This is the only time it is shown.</strong> It cannot be shown again: store it somewhere safe, such as a password manager or your CI&apos;s secret store. If you lose it, rotate or
        revoke the token.
      </p>
      {issued.warning && (
        <p className="rounded border border-amber-600 bg-white p-2 text-sm text-amber-950">
          <span aria-hidden="true">⚠ </span>
          {issued.warning}
        </p>
      )}
      <div>
        <p id={`${id}-label`} className="text-sm font-medium text-slate-900">
          Token &ldquo;{issued.name}&rdquo;
        </p>
        <code
          aria-labelledby={`${id}-label`}
          aria-describedby={`${id}-warning`}
          data-testid="token-secret"
          className="mt-1 block rounded border border-slate-400 bg-white p-2 font-mono text-sm break-all select-all"
        >
          {issued.secret}
        </code>
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <button type="button" onClick={copySecret} className={buttonClass.primary}>
          Copy token
        </button>
        {onDismiss && (
          <button type="button" onClick={onDismiss} className={buttonClass.secondary}>
            I have stored it, hide it
          </button>
        )}
        <p role="status" className="text-sm font-semibold">
          {copy === 'copied' && <span className="text-green-800">✓ Copied</span>}
          {copy === 'failed' && <span className="text-red-800">Copying failed: select the token and copy it yourself.</span>}
        </p>
      </div>
    </section>
  );
}
