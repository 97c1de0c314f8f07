import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { getOperationAST, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import {
  ACCESS,
  CredentialRejected,
  decideOperation,
  type AccessServices,
  type Principal,
} from '../../../../libs/access/src';
import { accessError } from '../access/access.plugin';
import type { Context, Disposable } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { createGraphqlErrorFormatter } from '../graphql-errors';
import { GRAPHQL_LIMITS, type GraphqlLimitsConfig } from '../limits/graphql-limits';
import { SLOW_SUBSCRIBER } from './bounded-queue';
import { SLOW_SUBSCRIBER_CLOSE_CODE, type LiveConnection, type LiveContext } from './live-connection';
import { LiveOperationLimits } from './live-operation-limits';

const GRAPHQL_PATH = '/graphql';
/** A subscribe message is a query and its variables: the token cap (2,000) fits far below this. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** A dropped client that does not read its close frame is cut off after this. */
const CLOSE_GRACE_MS = 10_000;
/** On shutdown, clients get this long to answer the close before their sockets are cut. */
const SHUTDOWN_GRACE_MS = 1_000;

/** All this server reads of a graphql-ws connection's state. */
type LiveSocketContext = Pick<Context, 'subscriptions'>;

/** The credential of a socket: `connectionParams.authorization` (browsers cannot set headers), else the upgrade's. */
function authorizationOf(
  ctx: Context<Record<string, unknown> | undefined, { request: IncomingMessage }>,
): string | undefined {
  const fromParams = ctx.connectionParams?.authorization;
  if (typeof fromParams === 'string') return fromParams;
  const fromHeader = ctx.extra.request.headers.authorization;
  return typeof fromHeader === 'string' ? fromHeader : undefined;
}

/**
 * graphql-ws on the HTTP server's /graphql (the protocol `graphql-transport-ws`), beside Apollo's POST /graphql.
 * Attached here rather than through the Apollo driver's `subscriptions` option so that the socket server's own
 * bounds are ours: messages of at most 64 KiB (ws's default is 100 MiB), a cap on open sockets, every operation
 * checked against the GraphQL limits before it runs (live-operation-limits.ts), errors shaped by the same
 * formatter as over HTTP, and a client that does not read closed with SLOW_SUBSCRIBER_CLOSE_CODE.
 */
@Injectable()
export class LiveSocketServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('LiveSocket');
  private readonly operationLimits: LiveOperationLimits;
  private readonly formatError = createGraphqlErrorFormatter({
    logInternalError: (error, formatted) =>
      this.logger.error(formatted.message, error instanceof Error ? error.stack : undefined),
  });
  private readonly contexts = new Set<LiveSocketContext>();
  private readonly principals = new WeakMap<LiveSocketContext, Principal>();
  private readonly sockets = new WeakMap<LiveSocketContext, WebSocket>();
  private stopWatchingRevocations: (() => void) | null = null;
  private readonly connections = new WeakMap<WebSocket, LiveConnection>();
  private wss: WebSocketServer | null = null;
  private server: Disposable | null = null;
  private httpServer: Server | null = null;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly schemaHost: GraphQLSchemaHost,
    @Inject(GRAPHQL_LIMITS) private readonly limits: GraphqlLimitsConfig,
    @Inject(ACCESS) private readonly access: AccessServices,
  ) {
    this.operationLimits = new LiveOperationLimits(limits);
  }

  onApplicationBootstrap(): void {
    const httpServer = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
    this.wss = wss;
    this.httpServer = httpServer;
    httpServer.on('upgrade', this.upgrade);
    // A revoked token's open subscriptions end when this process learns of the revocation, as its requests do.
    this.stopWatchingRevocations = this.access.directory.onRevoked((revoked) => this.closeRevoked(revoked));
    this.server = useServer(
      {
        schema: this.schemaHost.schema,
        // Authenticated once, when the connection is initialised; a refused credential closes it with 4403.
        onConnect: async (ctx) => {
          const principal = await this.authenticate(authorizationOf(ctx));
          if (!principal) return false;
          this.principals.set(ctx, principal);
          this.sockets.set(ctx, ctx.extra.socket);
          this.contexts.add(ctx);
          return true;
        },
        onClose: (ctx) => void this.contexts.delete(ctx),
        onSubscribe: (ctx, _id, payload) => {
          const checked = this.operationLimits.check(this.schemaHost.schema, payload, {
            onConnection: Object.keys(ctx.subscriptions).length,
            inProcess: this.openSubscriptions(),
          });
          if (!checked.ok) return checked.errors;
          const principal = this.principals.get(ctx);
          const operation = getOperationAST(checked.document, checked.operationName);
          if (!principal || !operation) {
            return [
              accessError({ allowed: false, status: 401, message: 'the connection is not authenticated' }),
            ];
          }
          const decision = decideOperation(
            checked.document,
            operation,
            principal,
            this.access.authenticator.config.documents,
          );
          if (!decision.allowed) return [accessError(decision)];
          const contextValue: LiveContext = {
            liveConnection: this.connectionOf(ctx.extra.socket),
            req: { principal },
          };
          return {
            schema: this.schemaHost.schema,
            document: checked.document,
            operationName: checked.operationName,
            variableValues: checked.variables,
            contextValue,
          };
        },
        onNext: (_ctx, _id, _payload, _args, result) =>
          result.errors?.length ? { ...result, errors: result.errors.map((e) => this.format(e)) } : undefined,
        onError: (_ctx, _id, _payload, errors) => errors.map((e) => this.format(e)),
      },
      wss,
      this.limits.subscriptionKeepAliveMs,
    );
  }

  async onModuleDestroy(): Promise<void> {
    this.stopWatchingRevocations?.();
    const wss = this.wss;
    if (!wss) return;
    this.httpServer?.off('upgrade', this.upgrade);
    for (const client of wss.clients) client.close(1001, 'Going away');
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // An open upgraded socket would hold the HTTP server's close (and the process) until it goes.
    for (const client of wss.clients) client.terminate();
    await this.server?.dispose();
    this.wss = null;
  }

  private closeRevoked(revoked: ReadonlySet<string>): void {
    for (const ctx of this.contexts) {
      const tokenId = this.principals.get(ctx)?.tokenId;
      if (tokenId !== undefined && revoked.has(tokenId))
        this.sockets.get(ctx)?.close(4403, 'Forbidden: token revoked');
    }
  }

  /** The connection's principal, or null when its credential is refused (or missing where one is required). */
  private async authenticate(authorization: string | undefined): Promise<Principal | null> {
    try {
      const principal = await this.access.authenticator.authenticate(authorization);
      return principal.kind === 'anonymous' ? null : principal;
    } catch (error) {
      if (error instanceof CredentialRejected) return null;
      throw error;
    }
  }

  /** Open WebSocket connections and subscriptions, for /healthz/subscriptions. */
  stats(): { connections: number; subscriptions: number } {
    return { connections: this.wss?.clients.size ?? 0, subscriptions: this.openSubscriptions() };
  }

  /**
   * An 'upgrade' listener runs outside any request handler: whatever throws in it would be an uncaught exception
   * and end the process, so anything that does ends just this socket.
   */
  private readonly upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    try {
      this.handleUpgrade(request, socket, head);
    } catch (error) {
      this.logger.warn(`upgrade of ${JSON.stringify(request.url?.slice(0, 200))} refused: ${String(error)}`);
      socket.destroy();
    }
  };

  private handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const wss = this.wss;
    // Not `new URL(...)`: Node's parser lets through targets (`//[`, `//:99999`) that make it throw.
    const path = (request.url ?? '/').split('?')[0];
    if (!wss || path !== GRAPHQL_PATH) {
      // Nothing else in the gateway upgrades: without this, the socket would hang.
      if (this.httpServer?.listenerCount('upgrade') === 1) socket.destroy();
      return;
    }
    if (wss.clients.size >= this.limits.maxSubscriptions) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  }

  private openSubscriptions(): number {
    let open = 0;
    for (const ctx of this.contexts) open += Object.keys(ctx.subscriptions).length;
    return open;
  }

  private connectionOf(socket: WebSocket): LiveConnection {
    let connection = this.connections.get(socket);
    if (!connection) {
      let dropping = false;
      connection = {
        dropSlow: () => {
          if (dropping) return;
          dropping = true;
          socket.close(SLOW_SUBSCRIBER_CLOSE_CODE, SLOW_SUBSCRIBER);
          // A client that does not read does not read the close frame either.
          setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
        },
      };
      this.connections.set(socket, connection);
    }
    return connection;
  }

  private format(error: GraphQLError): GraphQLFormattedError {
    const formatted = this.formatError(error.toJSON(), error);
    if (formatted.extensions?.http === undefined) return formatted;
    // Apollo reads `http` for the status of an HTTP answer and sends the rest; a socket has no status to set.
    const extensions = { ...formatted.extensions };
    delete extensions.http;
    return { ...formatted, extensions };
  }
}
