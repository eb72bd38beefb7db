/**
 * A Permanent bounce of one recipient of a message Outbox sent, as SES's event publishing writes
 * it (the `outbox-message-id` tag names the email), for replaying through POST /_local/ses-events.
 */
export function permanentBounceRecord(message: { sesMessageId: string; emailId: string; recipient: string; source: string; feedbackId: string }): unknown {
  const at = new Date().toISOString();
  return {
    eventType: 'Bounce',
    bounce: {
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: [{ emailAddress: message.recipient, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
      timestamp: at,
      feedbackId: message.feedbackId,
      reportingMTA: 'dsn; mx.example.net',
    },
    mail: {
      timestamp: at,
      source: message.source,
      messageId: message.sesMessageId,
      destination: [message.recipient],
      tags: { 'outbox-message-id': [message.emailId] },
    },
  };
}
