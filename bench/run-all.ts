/**
 * `npm run bench -- --profile sustained [--runs --keys --rate --seconds --burst]`: the sustained-load profile
 * (bench/sustained.bench.ts) instead of the throughput benches below.
 * `npm run bench -- [points] [pointsPerRequest] [concurrency]`: hot paths, then the end-to-end pipeline on the
 * embedded engines, then, when RUNLOG_KAFKA_BROKERS and RUNLOG_CLICKHOUSE_URL name running engines (the native
 * stack: `npm run stack:up && eval "$(bash deploy/stack/stack.sh env)"`), the same pipeline on Kafka and
 * ClickHouse over HTTP, in a namespace and database of its own. Writes bench/results/latest.json and SVG charts.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { benchEventValidators, printValidatorTable } from './event-schemas.bench';
import { benchHotPaths } from './hot-paths.bench';
import { benchMlflow, mlflowChartSvg, parseMlflowArgs, speedup } from './mlflow.bench';
import { benchPipeline, type PipelineResult } from './ingest-pipeline.bench';
import { benchQueries, parseQueriesArgs } from './queries.bench';
import { benchSustained, parseSustainedArgs, type SustainedResult } from './sustained.bench';
import { barChartSvg, lineChartSvg, writeResult } from './support';

async function main() {
  const args = process.argv.slice(2);
  const out = resolve(__dirname, '../../bench/results');
  mkdirSync(out, { recursive: true });
  if (args.includes('--profile')) {
    const profile = args[args.indexOf('--profile') + 1];
    if (profile === 'queries') return queriesProfile(args, out);
    if (profile === 'mlflow') return mlflowProfile(args, out);
    if (profile !== 'sustained')
      throw new Error(`unknown profile ${profile}: the profiles are "sustained", "queries" and "mlflow"`);
    return sustainedProfile(args, out);
  }
  const [points = 1_000_000, pointsPerRequest = 10_000, concurrency = 4] = args.map(Number);

  console.log('hot paths (10,000-point metric batch; 500k-row inserts into chDB, median of 3)…');
  const hot = await benchHotPaths();
  const perPoint = (ms: number) => (ms * 1e6) / hot.pointsPerBody;
  console.table({
    'JSON.parse (yardstick)': {
      ms: hot.jsonParseMs.toFixed(2),
      'ns/point': perPoint(hot.jsonParseMs).toFixed(0),
    },
    'ajv validate': { ms: hot.validateMs.toFixed(2), 'ns/point': perPoint(hot.validateMs).toFixed(0) },
    'seal (canonical JSON + sha256)': {
      ms: hot.sealMs.toFixed(2),
      'ns/point': perPoint(hot.sealMs).toFixed(0),
    },
    'projector rows (columns)': {
      ms: hot.toRowsMs.toFixed(2),
      'ns/point': perPoint(hot.toRowsMs).toFixed(0),
    },
  });
  console.log(
    `insert ${hot.insertRows.toLocaleString('en')} rows (median of 3): the projector's columns ${hot.insertColumnsMs.toFixed(0)} ms, ` +
      `JSONEachRow ${hot.insertJsonEachRowMs.toFixed(0)} ms (${(hot.insertJsonEachRowMs / hot.insertColumnsMs).toFixed(2)}x faster)`,
  );

  console.log('\nevent payload validators (metrics.logged: one 10,000-point series)…');
  const validators = benchEventValidators();
  printValidatorTable(validators);

  console.log(
    `\npipeline: ${points.toLocaleString('en')} points, ${pointsPerRequest} per request, ${concurrency} in flight…`,
  );
  const pipeline = await benchPipeline(points, pointsPerRequest, concurrency);
  report(pipeline, points);

  const { RUNLOG_KAFKA_BROKERS: brokers, RUNLOG_CLICKHOUSE_URL: clickhouseUrl } = process.env;
  let kafka: PipelineResult | null = null;
  if (brokers && clickhouseUrl) {
    console.log(`\nthe same on Kafka (${brokers}) and ClickHouse over HTTP (${clickhouseUrl})…`);
    kafka = await benchPipeline(points, pointsPerRequest, concurrency, kafkaEngines());
    report(kafka, points);
  } else {
    console.log('\n(Kafka path skipped: RUNLOG_KAFKA_BROKERS and RUNLOG_CLICKHOUSE_URL are not both set)');
  }

  writeResult(join(out, 'latest.json'), {
    measuredAt: new Date().toISOString(),
    hot,
    validators,
    pipeline,
    kafka,
  });
  writeFileSync(
    join(out, 'validators.svg'),
    barChartSvg('Payload validation per event, as a share of JSON.parse of it (lower is better)', '×', [
      ...validators.map((r) => ({ label: r.type, value: r.validateUs / r.parseUs })),
    ]),
  );
  writeFileSync(
    join(out, 'pipeline.svg'),
    barChartSvg(`Runlog end to end, ${points.toLocaleString('en')} points`, 'points/s', [
      { label: 'embedded: HTTP → acknowledged append', value: pipeline.ingestPointsPerSecond },
      { label: 'embedded: log → ClickHouse', value: pipeline.projectPointsPerSecond },
      { label: 'embedded: replay into fresh tables', value: pipeline.replayPointsPerSecond },
      ...(kafka
        ? [
            { label: 'Kafka: HTTP → acknowledged append', value: kafka.ingestPointsPerSecond },
            { label: 'Kafka: log → ClickHouse over HTTP', value: kafka.projectPointsPerSecond },
            { label: 'Kafka: replay into fresh tables', value: kafka.replayPointsPerSecond },
          ]
        : []),
    ]),
  );
  writeFileSync(
    join(out, 'hot-paths.svg'),
    barChartSvg('Hot paths per 10,000-point batch (lower is better)', 'µs', [
      { label: 'JSON.parse (yardstick)', value: hot.jsonParseMs * 1000 },
      { label: 'ajv validate', value: hot.validateMs * 1000 },
      { label: 'seal: canonical JSON + sha256', value: hot.sealMs * 1000 },
      { label: 'projector rows (columns)', value: hot.toRowsMs * 1000 },
      {
        label: 'chDB insert, columns (per 10k)',
        value: (hot.insertColumnsMs * 1000 * 10_000) / hot.insertRows,
      },
      {
        label: 'chDB insert, JSONEachRow (per 10k)',
        value: (hot.insertJsonEachRowMs * 1000 * 10_000) / hot.insertRows,
      },
    ]),
  );
  console.log(`\nresults: ${join(out, 'latest.json')}, charts: pipeline.svg, hot-paths.svg, validators.svg`);
}

/** The distributed engines the environment names, in a Kafka namespace and ClickHouse database of their own. */
function kafkaEngines(): Record<string, string> {
  const id = `bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  return {
    RUNLOG_KAFKA_BROKERS: process.env.RUNLOG_KAFKA_BROKERS!,
    RUNLOG_KAFKA_NAMESPACE: `${id}.`,
    RUNLOG_CLICKHOUSE_URL: process.env.RUNLOG_CLICKHOUSE_URL!,
    RUNLOG_CLICKHOUSE_DATABASE: id,
  };
}

async function sustainedProfile(args: string[], out: string) {
  const options = parseSustainedArgs(args);
  console.log(`sustained load on the embedded stack (one process, every role): ${JSON.stringify(options)}…`);
  const embedded = await benchSustained(options, {}, 'embedded');
  printSustained(embedded);
  let kafka: SustainedResult | null = null;
  if (process.env.RUNLOG_KAFKA_BROKERS && process.env.RUNLOG_CLICKHOUSE_URL) {
    console.log(
      '\nthe same on Kafka and ClickHouse over HTTP (RSS: the Runlog process only, not the engines)…',
    );
    kafka = await benchSustained(options, kafkaEngines(), 'kafka');
    printSustained(kafka);
  } else {
    console.log('\n(Kafka stack skipped: RUNLOG_KAFKA_BROKERS and RUNLOG_CLICKHOUSE_URL are not both set)');
  }
  writeResult(join(out, 'sustained.json'), { measuredAt: new Date().toISOString(), embedded, kafka });
  const { burst, seconds, rate } = options;
  const burstFrom = (seconds - burst.seconds) / 2;
  writeFileSync(
    join(out, 'sustained.svg'),
    lineChartSvg({
      title: `Projection lag under ${rate.toLocaleString('en')} points/s offered (${options.runs} runs × ${options.keys} keys)`,
      xLabel: 'seconds since the load started',
      yLabel: 'log entries not yet projected',
      series: [
        { label: 'embedded', points: embedded.lag.map((l) => [l.seconds, l.entries]) },
        ...(kafka
          ? [
              {
                label: 'Kafka + ClickHouse',
                points: kafka.lag.map((l): [number, number] => [l.seconds, l.entries]),
              },
            ]
          : []),
      ],
      bands: [
        ...(burst.factor > 0 && burst.seconds > 0
          ? [{ from: burstFrom, to: burstFrom + burst.seconds, label: `burst ${burst.factor}×` }]
          : []),
        {
          from: seconds,
          to: Math.max(seconds, ...[embedded, kafka].flatMap((r) => r?.lag.map((l) => l.seconds) ?? [])),
          label: 'load stopped',
          colour: '#d0d0d0',
        },
      ],
    }),
  );
  console.log(`\nresults: ${join(out, 'sustained.json')}, chart: sustained.svg`);
}

function report(result: PipelineResult, points: number) {
  console.log(
    `HTTP → acknowledged append: ${result.ingestPointsPerSecond.toLocaleString('en')} points/s (${result.ingestSeconds.toFixed(1)} s)\n` +
      `log → ClickHouse:           ${result.projectPointsPerSecond.toLocaleString('en')} points/s (${result.projectSeconds.toFixed(1)} s from ready)\n` +
      `log → ClickHouse, from spawn: ${Math.round(points / (result.projectSeconds + result.projectorStartSeconds)).toLocaleString('en')} points/s (process start ${result.projectorStartSeconds.toFixed(1)} s)\n` +
      `replay into fresh tables:   ${result.replayPointsPerSecond.toLocaleString('en')} points/s (${result.replaySeconds.toFixed(1)} s with the comparison: ${result.replayState})`,
  );
}

function printSustained(result: SustainedResult): void {
  const { options } = result;
  const burst =
    options.burst.factor > 0 ? `, ${options.burst.factor}× for ${options.burst.seconds} s mid-run` : '';
  console.log(
    `offered ${options.rate.toLocaleString('en')} points/s for ${options.seconds} s${burst} ` +
      `(${options.runs} runs × ${options.keys} keys): ${result.offeredPoints.toLocaleString('en')} points offered, ` +
      `${result.shedPoints.toLocaleString('en')} shed by backpressure\n` +
      `acknowledged:  ${result.ackedPointsPerSecond.toLocaleString('en')} points/s (${result.requests.toLocaleString('en')} requests)\n` +
      `ack latency:   p50 ${result.ackMs.p50} ms, p99 ${result.ackMs.p99} ms, max ${result.ackMs.max} ms\n` +
      `freshness:     p50 ${result.freshnessMs.p50} ms, p99 ${result.freshnessMs.p99} ms, max ${result.freshnessMs.max} ms ` +
      `(${result.freshnessMs.samples} samples, polled every ${result.freshnessMs.pollMs} ms)\n` +
      `lag:           max ${Math.max(...result.lag.map((l) => l.entries)).toLocaleString('en')} entries; drained ` +
      `${result.drainSeconds === null ? 'not within 120 s' : `${result.drainSeconds} s after the load stopped`}\n` +
      `peak RSS:      server ${result.serverPeakRssMiB} MiB, generator ${result.generatorPeakRssMiB} MiB\n` +
      `CPU during the ${result.cpuSeconds.loadSeconds} s load: server ${result.cpuSeconds.server} s, ` +
      `generator (SDK clients) ${result.cpuSeconds.generator} s` +
      (result.pollErrors.count
        ? `\npoll errors:   ${result.pollErrors.count}, first: ${result.pollErrors.first}`
        : ''),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

async function queriesProfile(args: string[], out: string): Promise<void> {
  const options = parseQueriesArgs(args);
  console.log(`dashboard queries over GraphQL on a prepared store: ${JSON.stringify(options)}…`);
  const figures = await benchQueries(options);
  writeResult(join(out, 'queries.json'), { measuredAt: new Date().toISOString(), options, figures });
  console.log(`\nresults: ${join(out, 'queries.json')}`);
}

async function mlflowProfile(args: string[], out: string) {
  const result = await benchMlflow(parseMlflowArgs(args));
  const shown = (value: number, unit: string) =>
    `${value.toLocaleString('en', { maximumFractionDigits: unit === 'points/s' ? 0 : 3 })} ${unit}`;
  console.log(
    `\nMLflow ${result.mlflowVersion} on ${result.mlflowBackend}, against Runlog on its embedded engines:`,
  );
  console.table(
    Object.fromEntries(
      result.figures.map((figure) => [
        figure.workload,
        {
          MLflow: shown(figure.mlflow, figure.unit),
          'Runlog, MLflow dialect': Number.isNaN(figure.dialect) ? '—' : shown(figure.dialect, figure.unit),
          'dialect ×': Number.isNaN(figure.dialect) ? '—' : speedup(figure, 'dialect').toFixed(1),
          'Runlog, native API': shown(figure.native, figure.unit),
          'native ×': speedup(figure, 'native').toFixed(1),
        },
      ]),
    ),
  );
  writeResult(join(out, 'mlflow.json'), { measuredAt: new Date().toISOString(), ...result });
  writeFileSync(join(out, 'mlflow.svg'), mlflowChartSvg(result));
  console.log(`\nresults: ${join(out, 'mlflow.json')}, chart: mlflow.svg`);
}
