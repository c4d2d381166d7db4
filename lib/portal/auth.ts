import 'server-only';
import NextAuth from 'next-auth';
import { getRuntime } from '../runtime';
import { buildAuthConfig } from './auth-config';

// Lazy form: the runtime (config, database, session secret) is only known once the server has started.
export const { handlers, auth, signIn, signOut } = NextAuth(async () => buildAuthConfig(await getRuntime()));
