// What each audit action means, in words (pages and CSV); an unknown code is shown as it is.
const ACTION_NAMES: Record<string, string> = {
  'token.create': 'Token created',
  'token.create_for_user': 'Token created for a user',
  'token.revoke': 'Token revoked',
  'token.rotate': 'Token rotated',
  'user.create': 'User created (provisioning)',
  'user.update': 'User updated (provisioning)',
  'user.delete': 'User deleted (provisioning)',
  'user.disable': 'User disabled',
  'user.enable': 'User enabled',
  'user.sign_in': 'Signed in',
  'user.sign_in_refused': 'Sign-in refused',
};

export function actionName(action: string): string {
  return ACTION_NAMES[action] ?? action;
}
