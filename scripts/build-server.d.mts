/** Where `npm run build` writes the compiled production server. */
export const SERVER_BUNDLE: string;
export function buildServer(): Promise<void>;
