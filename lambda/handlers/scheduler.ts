// Placeholder until the scheduler handler lands.
export const handler = async (): Promise<unknown> => ({ batchItemFailures: [] });
