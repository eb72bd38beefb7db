import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import { CONSOLE_FILES_NAME, CONSOLE_PATH } from '../../lambda/shared/console';
import { buildConsole } from '../console-build';
import { NodeFunction } from './node-function';
import type { SendApi } from './send-api';

export interface WebConsoleProps {
  /** The API the console is served from, on its origin, so the page calls it without CORS. */
  readonly api: SendApi;
  /** Absolute path of the console handler (HANDLER_ENTRIES.console). */
  readonly entry: string;
}

/**
 * The web console, served by the API it calls: `GET /console` and `GET /console/{proxy+}` on the
 * API's stage, with no authorizer (the page itself holds no data; it asks for a full-access key
 * and sends it as `Authorization: Bearer` to the API's other routes), to a small Lambda that
 * answers from the console built at synth (buildConsole), shipped next to its bundle. The stage's
 * throttling, firewall and access logs cover these routes as the others. Nothing runs, or costs,
 * while nobody opens it.
 */
export class WebConsole extends Construct {
  public readonly function: NodeFunction;
  public readonly methods: readonly apigateway.Method[];
  /** The console's URL: the API's base URL and `/console`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: WebConsoleProps) {
    super(scope, id);
    // Built only when the stack's assets are (cdk synth, deploy), not for template-only tests.
    const bundledFiles: Record<string, string> = Stack.of(this).bundlingRequired ? { [CONSOLE_FILES_NAME]: JSON.stringify(buildConsole()) } : {};
    this.function = new NodeFunction(this, 'Function', {
      entry: props.entry,
      description: 'Outbox web console',
      timeout: Duration.seconds(5),
      // It hands out strings already built: the smallest size is plenty.
      memorySize: 128,
      bundledFiles,
    });

    const integration = new apigateway.LambdaIntegration(this.function.function, { proxy: true, allowTestInvoke: false });
    const open: apigateway.MethodOptions = { authorizationType: apigateway.AuthorizationType.NONE };
    const page = props.api.restApi.root.addResource(CONSOLE_PATH.slice(1));
    this.methods = [page.addMethod('GET', integration, open), page.addResource('{proxy+}').addMethod('GET', integration, open)];
    for (const method of this.methods) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'The console page and its assets hold no data and must load before anyone signs in; every API call they make carries an API key the authorizer checks.',
      });
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason: 'The console page and its assets load without credentials; the API calls it makes use Outbox API keys, and there are no Cognito users.',
      });
    }
    this.url = `${props.api.url}${CONSOLE_PATH}`;
  }
}
