import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
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
 * The web console, served by the API it calls: the routes `GET /console` and
 * `GET /console/{proxy+}` go to a small Lambda that answers from the console built at synth
 * (buildConsole), shipped next to its bundle. They need no key (the page itself holds no data; it
 * asks for a full-access key and sends it as `Authorization: Bearer` to the API's other routes,
 * which the api Lambda checks). The stage's throttling and access logs cover these routes as the
 * others. Nothing runs, or costs, while nobody opens it.
 */
export class WebConsole extends Construct {
  public readonly function: NodeFunction;
  public readonly routes: readonly apigwv2.HttpRoute[];
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

    const integration = new HttpLambdaIntegration('Console', this.function.function, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    this.routes = [CONSOLE_PATH, `${CONSOLE_PATH}/{proxy+}`].flatMap((routePath) =>
      props.api.httpApi.addRoutes({ path: routePath, methods: [apigwv2.HttpMethod.GET], integration }),
    );
    for (const route of this.routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'The console page and its assets hold no data and must load before anyone signs in; every API call they make carries an API key the api Lambda checks.',
      });
    }
    this.url = `${props.api.url}${CONSOLE_PATH}`;
  }
}
