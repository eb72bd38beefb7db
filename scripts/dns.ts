import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DnsReportError, dnsReport, formatDnsReport, outputsFromFile, ZONE_FILE_OUTPUT, type StackOutputs } from './dns-report';

const USAGE = `Print the DNS records the sending domain needs: a table, and a zone-file snippet to paste.

  npm run dns -- --outputs-file <file>   the JSON cdk deploy --outputs-file <file> wrote (offline)
                 [--stack <name>]        the stack in it, when it holds several
  npm run dns -- --stack <name>          read the stack's outputs from CloudFormation (your AWS credentials)
                 [--region <aws region>]

--zone-file prints the snippet alone (for a file or a DNS provider's import).
The records exist only with outbox:sendingDomain; with outbox:hostedZoneId the stack writes them into Route 53 itself.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'outputs-file': { type: 'string' },
      stack: { type: 'string' },
      region: { type: 'string' },
      'zone-file': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || (!values['outputs-file'] && !values.stack)) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const outputs = values['outputs-file']
    ? outputsFromFile(readFileSync(values['outputs-file'], 'utf8'), values.stack)
    : await stackOutputs(values.stack!, values.region);
  const report = dnsReport(outputs);
  process.stdout.write(values['zone-file'] ? `${report.zoneFile}\n` : formatDnsReport(report));
}

/** The stack's outputs from CloudFormation (DescribeStacks). */
async function stackOutputs(stackName: string, region: string | undefined): Promise<StackOutputs> {
  const client = new CloudFormationClient(region ? { region } : {});
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = Stacks?.[0]?.Outputs ?? [];
    if (!outputs.some((o) => o.OutputKey === ZONE_FILE_OUTPUT) && Stacks?.[0]?.StackStatus?.endsWith('_IN_PROGRESS')) {
      throw new DnsReportError(`The stack ${stackName} is ${Stacks[0].StackStatus}; run this again once it is deployed.`);
    }
    return Object.fromEntries(outputs.flatMap((o) => (o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [])));
  } finally {
    client.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof DnsReportError ? error.message : error);
  process.exit(1);
});
