import { requireFullAccess } from '../core/api-keys';
import { DELIVERABILITY_WINDOWS, type DeliverabilityWindow } from '../core/deliverability';
import { OutboxError } from '../core/errors';
import { reportDeliverability } from '../core/reputation-guard';
import { principalOf, type Route } from './route';

/**
 * `GET /deliverability[?window=24h|7d]`, Outbox's extension: sends, deliveries, hard bounces and
 * complaints over the window as Outbox counted them, their rates, per sending domain too, the
 * account's counts hour by hour (`series`, for the console's charts), the guard's thresholds and
 * the status (see reportDeliverability). Full-access keys only.
 */
export const DELIVERABILITY_ROUTES: readonly Route[] = [
  {
    pattern: /^\/deliverability$/,
    methods: {
      GET: async (deps, request) => {
        requireFullAccess(principalOf(request));
        const window = windowOf(request.query?.window);
        if (!deps.deliverability) throw new OutboxError('unavailable', 'This Outbox was built without its deliverability counters; GET /deliverability cannot answer.');
        return { body: await reportDeliverability(deps.deliverability, window) };
      },
    },
  },
];

function windowOf(raw: string | undefined): DeliverabilityWindow {
  if (raw === undefined) return '24h';
  const window = DELIVERABILITY_WINDOWS.find((w) => w === raw);
  if (!window) {
    const shown = JSON.stringify(raw.length > 20 ? `${raw.slice(0, 20)}...` : raw);
    throw new OutboxError('validation', `\`window\` must be one of ${DELIVERABILITY_WINDOWS.map((w) => `\`${w}\``).join(', ')}; got ${shown}.`);
  }
  return window;
}
