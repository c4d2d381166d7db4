export function SignInNotConfigured() {
  return (
    <p role="status" className="rounded border border-amber-300 bg-amber-50 p-4 text-amber-900">
      Sign-in is not configured on this server. An administrator can enable the portal by setting <code>portal.oidc</code> in the configuration.
    </p>
  );
}
