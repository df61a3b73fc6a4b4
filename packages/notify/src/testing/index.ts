export { waitForOutboxMail } from './outbox-reader.ts';
export { linkIn, type ReceivedMail, startTestSmtpServer, type TestSmtpServer } from './test-smtp-server.ts';
