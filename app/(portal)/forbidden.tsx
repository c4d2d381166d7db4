import Link from 'next/link';

export default function Forbidden() {
  return (
    <div className="space-y-3">
      <h1 className="text-2xl font-bold">403 — Not allowed</h1>
      <p className="text-slate-700">This page is for administrators. Your account does not have an administrator role.</p>
      <p>
        <Link href="/tokens" className="font-medium text-blue-800 underline">
          Back to your tokens
        </Link>
      </p>
    </div>
  );
}
