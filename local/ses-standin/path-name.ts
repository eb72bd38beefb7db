/**
 * A name from a request path, percent-decoded. A malformed escape cannot name anything SES holds,
 * so it is kept as written and the lookup answers NotFound, as for any other unknown name, instead
 * of the decoder's URIError becoming a 500.
 */
export function nameFromPath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
