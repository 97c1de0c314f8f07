import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Logger, Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import type { GraphQLFormattedError } from 'graphql';
import { ACCESS, type AccessServices } from '../../../libs/access/src';
import { accessPlugin } from './access/access.plugin';
import { WhoamiResolver } from './access/whoami.resolver';
import { AuditResolver } from './audit/audit.resolver';
import { ProofsResolver } from './audit/proofs.resolver';
import { TimeTravelResolver } from './audit/time-travel.resolver';
import { TimeTravelService } from './audit/time-travel.service';
import { createGraphqlErrorFormatter } from './graphql-errors';
import { GRAPHQL_LIMITS, graphqlLimitOptions, type GraphqlLimitsConfig } from './limits/graphql-limits';
import { DeadLettersResolver } from './dead-letters/dead-letters.resolver';
import { DeadLettersService } from './dead-letters/dead-letters.service';
import { AwaitConsistencyMiddleware } from './consistency/await-consistency.middleware';
import { SweepSummaryResolver } from './sweeps/sweep-summary.resolver';
import { SweepSummaryService } from './sweeps/sweep-summary.service';
import { CompareResolver } from './compare/compare.resolver';
import { CompareService } from './compare/compare.service';
import { MetricExportController } from './export/metric-export.controller';
import { MetricExportService } from './export/metric-export.service';
import { RunSearchResolver } from './run-search/run-search.resolver';
import { RunSearchService } from './run-search/run-search.service';
import { OverlaySeriesResolver } from './series/overlay-series.resolver';
import { SeriesResolver } from './series/series.resolver';
import { SeriesService } from './series/series.service';
import { RegistryReadsService } from './registry/registry-reads.service';
import { ModelVersionsResolver } from './registry/model-versions.resolver';
import { RegistryCommands } from './registry/registry-commands';
import { RegistryResolver } from './registry/registry.resolver';
import { LineageResolver } from './lineage/lineage.resolver';
import { LineageService } from './lineage/lineage.service';
import { RunMediaResolver } from './media/run-media.resolver';
import { RunsResolver } from './runs/runs.resolver';
import { RunsService } from './runs/runs.service';
import { LiveFeed } from './live/live-feed.service';
import { LiveResolver } from './live/live.resolver';
import { LiveSocketServer } from './live/live-socket.server';
import { LiveStatsController } from './live/live-stats.controller';

const logger = new Logger('GraphQL');

function logInternalGraphqlError(error: unknown, formatted: GraphQLFormattedError): void {
  const where = formatted.path ? ` at ${formatted.path.join('.')}` : '';
  logger.error(`${formatted.message}${where}`, error instanceof Error ? error.stack : undefined);
}

/** GraphQL, code-first: the schema is generated from the resolvers and models. */
@Module({
  imports: [
    GraphQLModule.forRootAsync<ApolloDriverConfig>({
      driver: ApolloDriver,
      inject: [GRAPHQL_LIMITS, ACCESS],
      useFactory: (limits: GraphqlLimitsConfig, access: AccessServices): ApolloDriverConfig => {
        const bounded = graphqlLimitOptions(limits);
        return {
          autoSchemaFile: true,
          sortSchema: true,
          path: '/graphql',
          ...bounded,
          // Who may run the operation is settled before what it would cost.
          plugins: [accessPlugin(access.authenticator.config.documents), ...bounded.plugins],
          formatError: createGraphqlErrorFormatter({ logInternalError: logInternalGraphqlError }),
        };
      },
    }),
  ],
  providers: [
    WhoamiResolver,
    AuditResolver,
    ProofsResolver,
    TimeTravelResolver,
    TimeTravelService,
    RegistryResolver,
    ModelVersionsResolver,
    RegistryCommands,
    RegistryReadsService,
    LineageResolver,
    LineageService,
    RunsResolver,
    RunsService,
    RunMediaResolver,
    RunSearchResolver,
    SeriesResolver,
    OverlaySeriesResolver,
    SeriesService,
    RunSearchService,
    CompareResolver,
    CompareService,
    SweepSummaryResolver,
    SweepSummaryService,
    DeadLettersResolver,
    DeadLettersService,
    MetricExportService,
    LiveFeed,
    LiveResolver,
    LiveSocketServer,
  ],
  controllers: [MetricExportController, LiveStatsController],
})
export class GatewayModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AwaitConsistencyMiddleware).forRoutes({ path: 'graphql', method: RequestMethod.ALL });
  }
}
