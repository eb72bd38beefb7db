import { getSending, pauseFromApi, resumeFromApi, type SendingApiDeps } from '../core/sending-api';
import { OutboxError } from '../core/errors';
import { parseJsonBody, principalOf, type ApiDeps, type HttpRequest, type Route } from './route';

/**
 * `GET /sending`, `POST /sending/pause` (optional `{ "reason" }`), `POST /sending/resume`:
 * Outbox's extension for its sending pause (see sending-api.ts). Full-access keys only.
 */
export const SENDING_ROUTES: readonly Route[] = [
  {
    pattern: /^\/sending$/,
    methods: { GET: async (deps, request) => ({ body: await getSending({ ...sendingDeps(deps), pause: deps.reportedPause ?? deps.pause! }, principalOf(request)) }) },
  },
  {
    pattern: /^\/sending\/pause$/,
    methods: { POST: async (deps, request) => ({ body: await pauseFromApi(sendingDeps(deps), principalOf(request), optionalBody(request)) }) },
  },
  {
    pattern: /^\/sending\/resume$/,
    methods: { POST: async (deps, request) => ({ body: await resumeFromApi(sendingDeps(deps), principalOf(request)) }) },
  },
];

function sendingDeps(deps: ApiDeps): SendingApiDeps {
  if (!deps.pause) throw new OutboxError('unavailable', 'This Outbox was built without the control table; /sending cannot answer.');
  return {
    pause: deps.pause,
    clock: deps.clock,
    log: deps.log,
    ...(deps.configurationSetSending ? { configurationSet: deps.configurationSetSending } : {}),
    ...(deps.notify ? { notify: deps.notify } : {}),
    ...(deps.accountReport ? { account: deps.accountReport } : {}),
  };
}

/** A pause may come with no body at all. */
function optionalBody(request: HttpRequest): unknown {
  return request.body === undefined || request.body.trim() === '' ? undefined : parseJsonBody(request);
}
