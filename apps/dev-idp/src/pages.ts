// The provider's pages: sign-in (labelled fields, a real button) and sign-out; each says plainly that it is for
// local use only.
const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh; background: #f4f5f7; color: #1b1f24; }
  main { background: #fff; padding: 2rem; border-radius: 8px; width: min(22rem, calc(100vw - 2rem)); box-sizing: border-box; box-shadow: 0 1px 4px #0002; }
  h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
  .warning { background: #fff4d6; border: 1px solid #e0b100; padding: .5rem .75rem; border-radius: 4px; font-size: .9rem; }
  .error { background: #fde8e8; border: 1px solid #c62828; padding: .5rem .75rem; border-radius: 4px; }
  label { display: block; margin-top: 1rem; font-weight: 600; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; border: 1px solid #8a929c; border-radius: 4px; }
  button { margin-top: 1.5rem; width: 100%; padding: .6rem; font: inherit; font-weight: 600; color: #fff; background: #1f5fbf; border: 0; border-radius: 4px; cursor: pointer; }
  button:focus-visible, input:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
  button.secondary { color: #1f5fbf; background: #fff; border: 1px solid #1f5fbf; margin-top: .75rem; }
`;

export function signInPage({
  action,
  error,
  username = '',
}: {
  action: string;
  error?: string;
  username?: string;
}) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in — development identity provider</title>
<style>${STYLE}</style>
</head>
<body>
<main>
  <h1>Sign in</h1>
  <p class="warning" role="note">Development identity provider of a local AI gateway: for local use only, never part of a deployment.</p>
  ${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
  <form method="post" action="${escape(action)}" autocomplete="on">
    <label for="username">Username</label>
    <input id="username" name="username" autocomplete="username" required value="${escape(username)}" autofocus>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit">Sign in</button>
  </form>
</main>
</body>
</html>
`;
}

/**
 * Sign-out, asked for by the console (RP-initiated logout): oidc-provider's own form (`form`, with its CSRF
 * field) submitted by a real button; "logout=yes" ends the provider's session.
 */
export function signOutPage(form: string) {
  return page(
    'Sign out',
    `${form}
  <p>Sign out of the development identity provider too?</p>
  <button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>
  <button type="submit" form="op.logoutForm" class="secondary">Stay signed in here</button>`,
  );
}

/** After a sign-out with nowhere to return to. */
export function signedOutPage() {
  return page('Signed out', '<p role="status">You are signed out of the development identity provider.</p>');
}

function page(title: string, body: string) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} — development identity provider</title>
<style>${STYLE}</style>
</head>
<body>
<main>
  <h1>${escape(title)}</h1>
  <p class="warning" role="note">Development identity provider of a local AI gateway: for local use only, never part of a deployment.</p>
  ${body}
</main>
</body>
</html>
`;
}
