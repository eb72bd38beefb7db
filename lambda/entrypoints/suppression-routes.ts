import { requireFullAccess } from '../core/api-keys';
import {
  addSuppression,
  batchAddSuppressions,
  batchRemoveSuppressions,
  getSuppression,
  listSuppressions,
  removeSuppression,
} from '../core/suppressions-api';
import { parseJsonObject, principalOf, type Route } from './route';

/**
 * The Resend-compatible suppressions API, at the paths and with the bodies the resend SDK sends.
 * Every route needs a full-access key. The batch paths come before `/{idOrEmail}`, though that
 * pattern takes one path segment and could not match them anyway.
 */
export const SUPPRESSION_ROUTES: readonly Route[] = [
  {
    pattern: /^\/suppressions$/,
    methods: {
      GET: async (deps, request) => {
        requireFullAccess(principalOf(request));
        return { body: await listSuppressions(deps, request.query ?? {}) };
      },
      POST: async (deps, request) => {
        requireFullAccess(principalOf(request));
        const { created, answer } = await addSuppression(deps, parseJsonObject(request));
        return { status: created ? 201 : 200, body: answer };
      },
    },
  },
  {
    pattern: /^\/suppressions\/batch\/add$/,
    methods: {
      POST: async (deps, request) => {
        requireFullAccess(principalOf(request));
        return { status: 201, body: await batchAddSuppressions(deps, parseJsonObject(request)) };
      },
    },
  },
  {
    pattern: /^\/suppressions\/batch\/remove$/,
    methods: {
      POST: async (deps, request) => {
        requireFullAccess(principalOf(request));
        return { body: await batchRemoveSuppressions(deps, parseJsonObject(request)) };
      },
    },
  },
  {
    pattern: /^\/suppressions\/([^/]+)$/,
    methods: {
      GET: async (deps, request, [idOrEmail]) => {
        requireFullAccess(principalOf(request));
        return { body: await getSuppression(deps, idOrEmail!) };
      },
      DELETE: async (deps, request, [idOrEmail]) => {
        requireFullAccess(principalOf(request));
        return { body: await removeSuppression(deps, idOrEmail!) };
      },
    },
  },
];
