/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); tokens separated by single spaces. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/;

/** Splits a space-separated scope string into distinct tokens (order kept); null when malformed or empty. */
export function parseScope(value: string): string[] | null {
  if (value.length === 0 || value.length > 2048) return null;
  const tokens = value.split(' ');
  if (!tokens.every((t) => SCOPE_TOKEN.test(t))) return null;
  return [...new Set(tokens)];
}

/** Audience identifiers: printable ASCII without spaces (a URI such as `https://api.example.com` or a name such as `shop-api`). */
export function isAudience(value: string): boolean {
  return /^[\x21-\x7e]{1,256}$/.test(value);
}
