import type { Principal } from '../../../../libs/access/src';
/** The WebSocket a subscription came on, as the live feed sees it: what it may do to a client that stops reading. */
export interface LiveConnection {
  /** Closes the client's socket with SLOW_SUBSCRIBER_CLOSE_CODE: every subscription on it waits on the same socket. */
  dropSlow(): void;
}

/** The GraphQL context of an operation over graphql-ws (live-socket.server.ts puts it there). */
export interface LiveContext {
  liveConnection?: LiveConnection;
  /** The connection's principal, where resolvers look for it over HTTP too (`context.req.principal`). */
  req?: { principal: Principal };
}

/** The close code of a socket dropped for not reading; graphql-ws's own codes are 44xx and 4500. */
export const SLOW_SUBSCRIBER_CLOSE_CODE = 4420;
