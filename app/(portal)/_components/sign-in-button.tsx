import { signInAction } from '../actions';

export function SignInButton({ callbackUrl = '/tokens' }: { callbackUrl?: string }) {
  return (
    <form action={signInAction}>
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      <button
        type="submit"
        className="rounded bg-blue-700 px-4 py-2 font-semibold text-white hover:bg-blue-800 focus-visible:outline focus-visible:outline-3 focus-visible:outline-offset-2 focus-visible:outline-blue-600"
      >
        Sign in
      </button>
    </form>
  );
}
