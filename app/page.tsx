export default function HomePage() {
  return (
    <main className="mx-auto max-w-2xl p-6">
      <h1 className="text-3xl font-bold">Auth-O-Tron</h1>
      <p className="mt-2 text-slate-700">Authentication and authorization for web APIs, behind nginx <code>auth_request</code>.</p>
      <ul className="mt-6 list-disc space-y-1 pl-6">
        <li><a className="text-blue-700 underline" href="/.well-known/jwks.json">Signing keys (JWKS)</a></li>
        <li><a className="text-blue-700 underline" href="/api/providers">Providers</a></li>
        <li><a className="text-blue-700 underline" href="/api/health">Health</a></li>
      </ul>
    </main>
  );
}
