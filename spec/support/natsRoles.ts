import type { NatsUser } from './natsServer';

/**
 * The two roles of the README's server configuration, for the stream `stream` of chain
 * `chainId`: a relay that may create the stream, publish events and its checkpoint, and
 * read back what it stored; and a read-only consumer that may only look the stream up, read
 * its messages by sequence (to find where a replay starts), and make, pull from and delete
 * its own filtered consumers. Neither may do anything else.
 */
export function natsRoles(
  stream: string,
  chainId: number,
  passwords: { readonly relay: string; readonly reader: string },
): NatsUser[] {
  const api = '$JS.API';
  return [
    {
      user: 'relay',
      password: passwords.relay,
      publish: {
        allow: [
          `ogpu.${chainId}.>`,
          `${api}.INFO`,
          `${api}.STREAM.CREATE.${stream}`,
          `${api}.STREAM.INFO.${stream}`,
          `${api}.STREAM.MSG.GET.${stream}`,
          `${api}.STREAM.PURGE.${stream}`,
        ],
      },
      subscribe: { allow: ['_INBOX.>'] },
    },
    {
      user: 'reader',
      password: passwords.reader,
      publish: {
        allow: [
          `${api}.INFO`,
          `${api}.STREAM.INFO.${stream}`,
          `${api}.STREAM.MSG.GET.${stream}`,
          `${api}.CONSUMER.CREATE.${stream}`,
          `${api}.CONSUMER.CREATE.${stream}.>`,
          `${api}.CONSUMER.MSG.NEXT.${stream}.*`,
          `${api}.CONSUMER.INFO.${stream}.*`,
          `${api}.CONSUMER.DELETE.${stream}.*`,
        ],
        deny: ['ogpu.>'],
      },
      subscribe: { allow: ['_INBOX.>'] },
    },
  ];
}
