/**
 * The names Outbox's CloudFormation custom resources share between the stack (which declares them
 * and reads their attributes) and their Lambda functions (which read the properties and answer the
 * attributes). Pure data, like the table definitions.
 */

/** The sending domain in SES, created when missing and adopted when it already exists. */
export const SENDING_IDENTITY_RESOURCE = {
  type: 'Custom::OutboxSendingIdentity',
  properties: {
    /** The domain. */
    emailIdentity: 'EmailIdentity',
    /** Made the identity's default configuration set (an adopted one keeps another application's). */
    configurationSetName: 'ConfigurationSetName',
    /** The custom MAIL FROM domain, `<subdomain>.<domain>`; absent when custom MAIL FROM is off. */
    mailFromDomain: 'MailFromDomain',
    /** The stack's Region, for the MAIL FROM MX record's feedback endpoint. */
    region: 'Region',
    /** Where DMARC aggregate reports go (rua); absent for none. */
    dmarcReportTo: 'DmarcReportTo',
    /** The Route 53 zone the stack writes the records into, when it does (needs Easy DKIM). */
    hostedZoneName: 'HostedZoneName',
  },
  attributes: {
    /** `created` (the stack made it and deletes it) or `adopted` (it existed and stays). */
    origin: 'Origin',
    /** Record n (1-3) as a line for the outputs: `<name> CNAME <value>`, or why there is none. */
    dkimRecord: (n: 1 | 2 | 3): string => `DkimRecord${n}`,
    /** Record n's name, empty when there is no CNAME record. */
    dkimRecordName: (n: 1 | 2 | 3): string => `DkimRecord${n}Name`,
    /** Record n's value, empty when there is no CNAME record. */
    dkimRecordValue: (n: 1 | 2 | 3): string => `DkimRecord${n}Value`,
    /** The MAIL FROM domain, empty when custom MAIL FROM is off. */
    mailFromDomain: 'MailFromDomain',
    /** `<mail from domain> MX 10 feedback-smtp.<region>.amazonses.com`, or why there is none. */
    mailFromMxRecord: 'MailFromMxRecord',
    /** The MX record's data (`10 <host>`), empty when there is none. */
    mailFromMxValue: 'MailFromMxValue',
    /** `<mail from domain> TXT "v=spf1 include:amazonses.com ~all"`, or why there is none. */
    mailFromSpfRecord: 'MailFromSpfRecord',
    /** The SPF record's data, quoted, empty when there is none. */
    mailFromSpfValue: 'MailFromSpfValue',
    /** `_dmarc.<domain> TXT "v=DMARC1; p=none..."`. */
    dmarcRecord: 'DmarcRecord',
    dmarcRecordName: 'DmarcRecordName',
    /** The DMARC record's data, quoted. */
    dmarcRecordValue: 'DmarcRecordValue',
    /** Every record above as a BIND zone-file snippet, with a comment for each that cannot be given. */
    zoneFile: 'ZoneFile',
    /** The identity's default configuration set after the resource acted, empty for none. */
    defaultConfigurationSet: 'DefaultConfigurationSet',
  },
  /** The tag an identity the resource created carries; its value is the stack's ARN. */
  createdByStackTag: 'outbox:created-by-stack',
} as const;

/** The first full-access API key, its secret kept in a Secrets Manager secret. */
export const INITIAL_API_KEY_RESOURCE = {
  type: 'Custom::OutboxInitialApiKey',
  properties: {
    /** The api-keys table the key's record goes into. */
    apiKeysTableName: 'ApiKeysTableName',
    /** The secret that holds the key (JSON: id, name, permission, token, created_at). */
    secretArn: 'SecretArn',
  },
  attributes: {
    keyId: 'KeyId',
  },
  /** The name the key is listed under. */
  keyName: 'initial',
} as const;

/** The SMTP user's access key, its SES SMTP password kept in a Secrets Manager secret. */
export const SMTP_CREDENTIALS_RESOURCE = {
  type: 'Custom::OutboxSmtpCredentials',
  properties: {
    /** The IAM user the access key belongs to. */
    userName: 'UserName',
    /** The secret the credentials go into (JSON: username, password, host, ports, region). */
    secretArn: 'SecretArn',
    /** The stack's Region: the password is derived for it, and the host is its SMTP endpoint. */
    region: 'Region',
    /** Any label; a new one makes a new access key (rotation), and the old key is deleted. */
    rotation: 'Rotation',
  },
  attributes: {
    /** The SMTP user name: the access key's id (not secret). */
    username: 'Username',
  },
} as const;
