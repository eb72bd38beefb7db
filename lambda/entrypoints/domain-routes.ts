import { requireFullAccess } from '../core/api-keys';
import { createDomain, getDomain, listDomains, removeDomain, updateDomain, verifyDomain, type DomainDeps } from '../core/domains';
import { OutboxError } from '../core/errors';
import { parseJsonObject, principalOf, type ApiDeps, type Route } from './route';

/** The domains API's dependencies, or 503 when this Outbox has none (tools, in-memory tests). */
function domainsOf(deps: ApiDeps): DomainDeps {
  if (!deps.domains) throw new OutboxError('unavailable', 'The domains API is not set up in this Outbox: it has no SES identity access.');
  return deps.domains;
}

/**
 * Resend's domains resource, at the paths the resend SDK calls (`domains.create/list/get/update/
 * verify/remove`), on SES domain identities (see lambda/core/domains.ts). Full-access keys only.
 */
export const DOMAIN_ROUTES: readonly Route[] = [
  {
    pattern: /^\/domains$/,
    methods: {
      GET: async (deps, request) => {
        requireFullAccess(principalOf(request));
        return { body: await listDomains(domainsOf(deps), request.query ?? {}) };
      },
      POST: async (deps, request) => {
        requireFullAccess(principalOf(request));
        return { body: await createDomain(domainsOf(deps), parseJsonObject(request)) };
      },
    },
  },
  {
    pattern: /^\/domains\/([^/]+)$/,
    methods: {
      GET: async (deps, request, [id]) => {
        requireFullAccess(principalOf(request));
        return { body: await getDomain(domainsOf(deps), id!) };
      },
      PATCH: async (deps, request, [id]) => {
        requireFullAccess(principalOf(request));
        return { body: await updateDomain(domainsOf(deps), id!, parseJsonObject(request)) };
      },
      DELETE: async (deps, request, [id]) => {
        requireFullAccess(principalOf(request));
        return { body: await removeDomain(domainsOf(deps), id!) };
      },
    },
  },
  {
    pattern: /^\/domains\/([^/]+)\/verify$/,
    methods: {
      POST: async (deps, request, [id]) => {
        requireFullAccess(principalOf(request));
        return { body: await verifyDomain(domainsOf(deps), id!) };
      },
    },
  },
];
