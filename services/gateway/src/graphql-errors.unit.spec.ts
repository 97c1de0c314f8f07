import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { NotFoundError, ValidationError } from '../../../libs/domain/src/errors';
import { INTERNAL_ERROR_MESSAGE, createGraphqlErrorFormatter } from './graphql-errors';

/** What Apollo hands formatError for an error thrown by a resolver: a located GraphQLError wrapping it. */
function fromResolver(cause: Error): [GraphQLFormattedError, GraphQLError] {
  const located = new GraphQLError(cause.message, { path: ['runs'], originalError: cause });
  return [
    { ...located.toJSON(), extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at /srv/x.js:1'] } },
    located,
  ];
}

describe('the GraphQL error formatter', () => {
  const logged: unknown[] = [];
  const format = createGraphqlErrorFormatter({ logInternalError: (error) => logged.push(error) });
  beforeEach(() => logged.splice(0));

  it('maps a domain error to its code, keeping its message and field', () => {
    expect(format(...fromResolver(new ValidationError('runs needs a filter', 'experimentId')))).toEqual({
      message: 'runs needs a filter',
      path: ['runs'],
      extensions: { code: 'BAD_USER_INPUT', reason: 'validation_failed', field: 'experimentId' },
    });
    expect(format(...fromResolver(new NotFoundError('no run r')))).toMatchObject({
      extensions: { code: 'NOT_FOUND', reason: 'not_found' },
    });
    expect(logged).toEqual([]);
  });

  it('masks anything else as an internal error and logs the real one', () => {
    const cause = new Error('connect ECONNREFUSED /var/lib/clickhouse.sock');
    expect(format(...fromResolver(cause))).toEqual({
      message: INTERNAL_ERROR_MESSAGE,
      path: ['runs'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(logged).toEqual([cause]);
  });

  it('passes errors the client can fix, without a stack trace', () => {
    const refusal = {
      message: 'Aliases limit of 50 exceeded, found 100.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'aliases', stacktrace: ['at x'] },
    };
    expect(format(refusal, new GraphQLError(refusal.message))).toEqual({
      message: refusal.message,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'aliases' },
    });
  });

  it("names the token cap of graphql-js's parser as the tokens limit", () => {
    const message = 'Syntax Error: Document contains more that 2000 tokens. Parsing aborted.';
    expect(
      format({ message, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }, new GraphQLError(message)),
    ).toEqual({
      message,
      extensions: { code: 'GRAPHQL_PARSE_FAILED', limit: 'tokens' },
    });
  });
});
