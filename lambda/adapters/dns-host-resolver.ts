import { lookup } from 'node:dns/promises';
import type { HostResolver } from '../core/webhooks';

/**
 * Resolves host names the way the HTTP client will when it connects: through the system resolver
 * (getaddrinfo), IPv4 and IPv6, every address. Errors (ENOTFOUND and kin) are thrown as they come;
 * the SSRF guard turns them into a refusal.
 */
export class DnsHostResolver implements HostResolver {
  async resolve(hostname: string): Promise<string[]> {
    const answers = await lookup(hostname, { all: true, verbatim: true });
    return answers.map((answer) => answer.address);
  }
}
