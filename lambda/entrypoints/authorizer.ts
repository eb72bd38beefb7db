import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { authenticate } from '../core/api-keys';
import { OutboxError } from '../core/errors';
import type { ApiKeyStore } from '../core/ports';

/**
 * The API Gateway TOKEN authorizer. A valid key gets an Allow for the whole stage (results are
 * cached per token, so the policy must cover every route) with `{ keyId, scope }` as context; an
 * unknown key gets a Deny, which API Gateway answers as 403 ACCESS_DENIED (`invalid_api_key`); a
 * malformed header throws `Unauthorized`, answered as 401 (`missing_api_key`).
 */
export async function authorizeToken(keys: ApiKeyStore, event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const stageArn = event.methodArn.split('/').slice(0, 2).join('/') + '/*/*';
  try {
    const principal = await authenticate(keys, event.authorizationToken);
    return {
      principalId: principal.keyId,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageArn }] },
      context: { keyId: principal.keyId, scope: principal.scope },
    };
  } catch (error) {
    if (error instanceof OutboxError && error.kind === 'invalid_api_key') {
      return {
        principalId: 'unknown',
        policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: stageArn }] },
      };
    }
    if (error instanceof OutboxError && error.kind === 'missing_api_key') throw new Error('Unauthorized');
    throw error;
  }
}
