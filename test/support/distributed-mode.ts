// A jest setup file of the `integration on Kafka` project: the suites it runs start their servers on Kafka and
// ClickHouse over HTTP (see distributedEnv in runlog-process.ts) instead of the embedded engines.
process.env.RUNLOG_TEST_MODE = 'distributed';
