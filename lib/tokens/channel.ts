/** NOTIFY channel for token revocations, rotations and disabled users: payload `token:<id>` or `user:<id>`. */
export const TOKENS_CHANNEL = 'aot_tokens';
