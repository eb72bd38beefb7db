// Placeholder until the handler lands; replaced in the send-path commit.
export const handler = async (): Promise<unknown> => ({ statusCode: 503, body: '' });
