import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { RunsResolver } from './runs/runs.resolver';
import { RunsService } from './runs/runs.service';

/** GraphQL, code-first: the schema is generated from the resolvers and models. */
@Module({
  imports: [
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      sortSchema: true,
      path: '/graphql',
      introspection: true,
    }),
  ],
  providers: [RunsResolver, RunsService],
})
export class GatewayModule {}
