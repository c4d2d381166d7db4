const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The demo IdP's login form. Field names and the "Sign-in" button match oidc-provider's development
 * form, so scripts written against either work with both.
 */
export function loginPage(options: { action: string; login?: string; error?: string }): string {
  const error = options.error ? `<p role="alert" class="error">${escape(options.error)}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - Auth-O-Tron demo identity provider</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f8fafc; color: #0f172a; margin: 0; padding: 1.5rem; }
  main { max-width: 24rem; margin: 2rem auto; background: #fff; border: 1px solid #cbd5e1; border-radius: .5rem; padding: 1.5rem; }
  h1 { font-size: 1.25rem; margin-top: 0; }
  label { display: block; font-weight: 600; margin-top: 1rem; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; margin-top: .25rem; border: 1px solid #64748b; border-radius: .25rem; }
  input:focus, button:focus { outline: 3px solid #2563eb; outline-offset: 2px; }
  button { margin-top: 1.5rem; width: 100%; padding: .6rem; font-size: 1rem; background: #1d4ed8; color: #fff; border: 0; border-radius: .25rem; cursor: pointer; }
  .note { font-size: .875rem; color: #475569; }
  .error { color: #b91c1c; font-weight: 600; }
</style>
</head>
<body>
<main>
  <h1>Demo identity provider</h1>
  <p class="note">For development only. The demo users and their passwords are printed when Auth-O-Tron starts.</p>
  ${error}
  <form method="post" action="${escape(options.action)}" autocomplete="off">
    <label for="login">Username</label>
    <input id="login" name="login" type="text" required autofocus autocapitalize="none" value="${escape(options.login ?? '')}">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" required>
    <button type="submit">Sign-in</button>
  </form>
</main>
</body>
</html>`;
}
