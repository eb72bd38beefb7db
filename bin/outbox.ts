#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { outboxPropsFromContext } from '../lib/context';
import { OutboxStack } from '../lib/outbox-stack';

/**
 * The Outbox CDK app. Settings come from context (see lib/context.ts): `outbox:sendingDomain`,
 * `outbox:identities`, `outbox:retentionDays`, `outbox:alarmEmail`, `outbox:softBounceLimit`,
 * `outbox:softBounceWindowDays`, `outbox:maxSendRate`, `outbox:clamd`, `outbox:apiAccessLogs`,
 * `outbox:queueConcurrency`, `outbox:smtpUser`, `outbox:smtpRotation` and the
 * reputation guard's thresholds, all optional. With no sending identity the stack
 * still synthesizes and allows sending from any identity the account has verified in SES, with a
 * warning, so `cdk synth` runs in CI with no context and no credentials.
 *
 * The stack names no account or Region (environment-agnostic): `cdk synth` needs neither, and
 * `cdk deploy` deploys to the account and Region of the CLI's credentials (AWS_PROFILE, AWS_REGION
 * or the profile's region), which must have been bootstrapped once (`cdk bootstrap`): the template
 * has file assets (the Lambda bundles) and checks the bootstrap version.
 * cdk-nag's AwsSolutions checks run on every synth; an unacknowledged finding fails it.
 */
const app = new App();
new OutboxStack(app, 'Outbox', outboxPropsFromContext(app));
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
