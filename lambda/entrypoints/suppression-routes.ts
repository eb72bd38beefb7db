import type { Route } from './route';

/** The Resend-compatible suppressions API. */
export const SUPPRESSION_ROUTES: readonly Route[] = [];
