/** The console's pages, by hash route (`#/emails/<id>`), so the key never meets a URL. */
export type Route =
  | { readonly page: 'emails' }
  | { readonly page: 'email'; readonly id: string }
  | { readonly page: 'suppressions' }
  | { readonly page: 'webhooks' }
  | { readonly page: 'webhook'; readonly id: string }
  | { readonly page: 'api-keys' }
  | { readonly page: 'deliverability' }
  | { readonly page: 'local-messages' }
  | { readonly page: 'local-dead-letters' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const parts = path.split('/').filter((part) => part !== '');
  const [first, second, third] = parts.map(decodeSafely);
  if (first === 'emails' && second !== undefined && third === undefined) return { page: 'email', id: second };
  if (first === 'webhooks' && second !== undefined && third === undefined) return { page: 'webhook', id: second };
  if (first === 'local' && second === 'messages') return { page: 'local-messages' };
  if (first === 'local' && second === 'dead-letters') return { page: 'local-dead-letters' };
  if (parts.length === 1) {
    if (first === 'suppressions') return { page: 'suppressions' };
    if (first === 'webhooks') return { page: 'webhooks' };
    if (first === 'api-keys') return { page: 'api-keys' };
    if (first === 'deliverability') return { page: 'deliverability' };
  }
  return { page: 'emails' };
}

/** The route of one email or webhook, its id encoded. */
export function emailRoute(id: string): string {
  return `#/emails/${encodeURIComponent(id)}`;
}

export function webhookRoute(id: string): string {
  return `#/webhooks/${encodeURIComponent(id)}`;
}

function decodeSafely(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
