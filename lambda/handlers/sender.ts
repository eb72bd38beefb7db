// Placeholder until the sender handler lands.
export const handler = async (): Promise<unknown> => ({ batchItemFailures: [] });
