#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { outboxPropsFromContext } from '../lib/context';
import { OutboxStack } from '../lib/outbox-stack';

/**
 * The Outbox CDK app. Settings come from context (see lib/context.ts): `outbox:sendingDomain`,
 * `outbox:identities`, `outbox:retentionDays`, `outbox:alarmEmail`, `outbox:softBounceLimit`,
 * `outbox:softBounceWindowDays`, `outbox:maxSendRate`, `outbox:clamd`, all optional. With no sending
 * identity the stack still synthesizes and allows sending from any identity the account has
 * verified in SES, with a warning, so `cdk synth` runs in CI with no context and no credentials.
 * cdk-nag's AwsSolutions checks run on every synth; an unacknowledged finding fails it.
 */
const app = new App();
new OutboxStack(app, 'Outbox', outboxPropsFromContext(app));
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
