/**
 * libs/ingest-client: how a surface that does not decide commands itself (the GraphQL gateway's mutations, the
 * MLflow dialect) sends them to the native ingest API as its caller, so each write is validated, authorized,
 * routed to its stream's one writer and appended by one code path.
 */
export * from './ingest-client';
