import { requireFullAccess } from '../core/api-keys';
import {
  createWebhook,
  getWebhook,
  getWebhookEvent,
  listWebhookEventAttempts,
  listWebhookEvents,
  listWebhooks,
  removeWebhook,
  replayWebhookEvent,
  rotateWebhookSecret,
  updateWebhook,
} from '../core/webhooks-api';
import { parseJsonObject, principalOf, type Route } from './route';

/**
 * The Resend-compatible webhooks API, at the paths and with the bodies the resend SDK sends:
 * webhooks themselves, their signing secret, and their delivery log (events and attempts). Every
 * route needs a full-access key. Each pattern takes whole path segments, so none shadows another.
 */
export const WEBHOOK_ROUTES: readonly Route[] = [
  {
    pattern: /^\/webhooks$/,
    methods: {
      GET: async (deps, request) => {
        requireFullAccess(principalOf(request));
        return { body: await listWebhooks(deps, request.query ?? {}) };
      },
      POST: async (deps, request) => {
        requireFullAccess(principalOf(request));
        return { status: 201, body: await createWebhook(deps, parseJsonObject(request)) };
      },
    },
  },
  {
    pattern: /^\/webhooks\/([^/]+)$/,
    methods: {
      GET: async (deps, request, [id]) => {
        requireFullAccess(principalOf(request));
        return { body: await getWebhook(deps, id!) };
      },
      PATCH: async (deps, request, [id]) => {
        requireFullAccess(principalOf(request));
        return { body: await updateWebhook(deps, id!, parseJsonObject(request)) };
      },
      DELETE: async (deps, request, [id]) => {
        requireFullAccess(principalOf(request));
        return { body: await removeWebhook(deps, id!) };
      },
    },
  },
  {
    pattern: /^\/webhooks\/([^/]+)\/signing-secret\/rotate$/,
    methods: {
      POST: async (deps, request, [id]) => {
        requireFullAccess(principalOf(request));
        return { body: await rotateWebhookSecret(deps, id!) };
      },
    },
  },
  {
    pattern: /^\/webhooks\/([^/]+)\/events$/,
    methods: {
      GET: async (deps, request, [id]) => {
        requireFullAccess(principalOf(request));
        return { body: await listWebhookEvents(deps, id!, request.query ?? {}) };
      },
    },
  },
  {
    pattern: /^\/webhooks\/([^/]+)\/events\/([^/]+)$/,
    methods: {
      GET: async (deps, request, [id, eventId]) => {
        requireFullAccess(principalOf(request));
        return { body: await getWebhookEvent(deps, id!, eventId!) };
      },
    },
  },
  {
    pattern: /^\/webhooks\/([^/]+)\/events\/([^/]+)\/attempts$/,
    methods: {
      GET: async (deps, request, [id, eventId]) => {
        requireFullAccess(principalOf(request));
        return { body: await listWebhookEventAttempts(deps, id!, eventId!, request.query ?? {}) };
      },
    },
  },
  {
    pattern: /^\/webhooks\/([^/]+)\/events\/([^/]+)\/replay$/,
    methods: {
      POST: async (deps, request, [id, eventId]) => {
        requireFullAccess(principalOf(request));
        return { body: await replayWebhookEvent(deps, id!, eventId!) };
      },
    },
  },
];
