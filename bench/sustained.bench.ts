/**
 * `npm run bench -- --profile sustained [--runs 64] [--keys 200] [--rate 300000] [--seconds 60] [--burst 2:5]`:
 * R runs × K keys stream through the SDK (one RunlogClient per run, as R training processes would) into one
 * standalone server with every role, at an offered rate of points/s, with a burst (factor:seconds) in the middle.
 * Measures acknowledged points/s, ack latency (the SDK's fetch of a metrics batch → its answer read), freshness
 * (acknowledgement → the probe point visible in GraphQL `metricSeries`), projection lag every 500 ms and the server's
 * peak RSS (/proc/<pid>/status VmHWM).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { RunlogClient, type Run } from '../libs/sdk/src/runlog';
import { gql, post, projectionLag } from '../test/support/runlog-client';
import { startRunlog } from '../test/support/runlog-process';
import { processCpuSeconds, processMemoryMiB, quantiles, type Quantiles, sampleReservoir } from './support';

export interface SustainedOptions {
  runs: number;
  keys: number;
  /** Offered points/s outside the burst. */
  rate: number;
  seconds: number;
  burst: { factor: number; seconds: number };
}

export const SUSTAINED_DEFAULTS: SustainedOptions = {
  runs: 64,
  keys: 200,
  rate: 300_000,
  seconds: 60,
  burst: { factor: 2, seconds: 5 },
};

export interface SustainedResult {
  options: SustainedOptions;
  offeredPoints: number;
  /** Points the generator could not offer in time (the SDK's queue was full: backpressure). */
  shedPoints: number;
  ackedPoints: number;
  ackedPointsPerSecond: number;
  requests: number;
  ackMs: Quantiles;
  freshnessMs: Quantiles & { samples: number; pollMs: number };
  /** After the load stopped: seconds until the projection caught up (null: not within the wait). */
  drainSeconds: number | null;
  lag: { seconds: number; entries: number }[];
  serverRss: { seconds: number; rssMiB: number }[];
  serverPeakRssMiB: number;
  generatorPeakRssMiB: number;
  /** CPU seconds each process spent during the load: on 2 shared cores, tells which side was short of CPU. */
  cpuSeconds: { server: number; generator: number; loadSeconds: number };
  /** GraphQL polls (freshness, lag) that failed: counted as not yet visible / no sample, the first one kept. */
  pollErrors: { count: number; first: string | null };
}

const PROBE_RUNS = 4;
const PROBE_KEY = 'k000';
const FRESHNESS_POLL_MS = 20;
const MONITOR_MS = 500;
const TICK_MS = 5;
const VALUE_POOL = 32;
const DRAIN_WAIT_MS = 120_000;

/** `--runs 32 --keys 50 --rate 150000 --seconds 20 --burst 2:5` over the defaults; `--burst 0` for none. */
export function parseSustainedArgs(args: string[]): SustainedOptions {
  const options = structuredClone(SUSTAINED_DEFAULTS);
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--burst') {
      const [factor, seconds = '5'] = value.split(':');
      options.burst = { factor: Number(factor), seconds: Number(factor) > 0 ? Number(seconds) : 0 };
    } else if (flag === '--runs' || flag === '--keys' || flag === '--rate' || flag === '--seconds') {
      options[flag.slice(2) as 'runs' | 'keys' | 'rate' | 'seconds'] = Number(value);
    } else if (flag !== '--profile') {
      throw new Error(`unknown flag ${flag}: --runs --keys --rate --seconds --burst factor:seconds`);
    }
  }
  const numbers = [options.runs, options.keys, options.rate, options.seconds, options.burst.seconds];
  if (numbers.some((n) => !Number.isFinite(n) || n < 0) || options.runs < 1 || options.keys < 1) {
    throw new Error(`bad sustained profile: ${JSON.stringify(options)}`);
  }
  return options;
}

/** The burst sits in the middle of the run. */
function rateAt(options: SustainedOptions, seconds: number): number {
  const from = (options.seconds - options.burst.seconds) / 2;
  const inBurst = options.burst.factor > 0 && seconds >= from && seconds < from + options.burst.seconds;
  return inBurst ? options.rate * options.burst.factor : options.rate;
}

/** Points offered from the start to `seconds` in: the integral of rateAt, so the burst adds exactly its extra. */
function offeredBy(options: SustainedOptions, seconds: number): number {
  const t = Math.min(seconds, options.seconds);
  const from = (options.seconds - options.burst.seconds) / 2;
  const burstElapsed = Math.max(0, Math.min(t, from + options.burst.seconds) - from);
  return (
    options.rate * t +
    (options.burst.factor > 0 ? options.rate * (options.burst.factor - 1) * burstElapsed : 0)
  );
}

const STATUS_EVERY_SECONDS = 5;
let lastStatusSecond = -1;

/** A status line rewritten in place on a terminal; elsewhere (CI logs) one line every few seconds of load. */
function status(line: string, second: number): void {
  if (process.stdout.isTTY) {
    process.stdout.write(`\r${line}\x1b[K`);
  } else if (second % STATUS_EVERY_SECONDS === 0 && second !== lastStatusSecond) {
    lastStatusSecond = second;
    console.log(line);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The probe key gets one point per step from 0, so step n is visible once the series counts n + 1 points. (The
 * whole series' count comes from the rollups, exact and cheap; a fromStep/toStep zoom is bucket-aligned.)
 */
async function pointVisible(base: string, runId: string, step: number): Promise<boolean> {
  const data = await gql<{ metricSeries: { totalPoints: number } }>(
    base,
    'query ($runId: ID!, $key: String!) { metricSeries: runMetricSeries(runId: $runId, key: $key, maxPoints: 2) { totalPoints } }',
    { runId, key: PROBE_KEY },
  );
  return data.metricSeries.totalPoints >= step + 1;
}

interface Probe {
  runId: string;
  /** The highest probe-key step acknowledged, and when. */
  acked: { step: number; at: number } | null;
  measuredStep: number;
}

export async function benchSustained(
  options: SustainedOptions,
  engines: Record<string, string> = {},
  label = 'sustained',
): Promise<SustainedResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'runlog-sustained-'));
  const server = await startRunlog(dataDir, engines);
  const pid = server.child.pid!;
  try {
    const ackLatency = sampleReservoir();
    const freshness = sampleReservoir();
    const probes = new Map<string, Probe>();
    let ackedPoints = 0;
    let ackedInWindow = 0;
    let requests = 0;
    let loading = true;

    // The SDK's fetch, timed at the HTTP level: send of a metrics batch → its answer read.
    const timedFetch: typeof fetch = async (input, init) => {
      const url = String(input);
      if (!url.endsWith('/metrics')) return fetch(input, init);
      const sentAt = performance.now();
      const response = await fetch(input, init);
      const text = await response.text();
      const answeredAt = performance.now();
      if (response.ok) {
        ackLatency.add(answeredAt - sentAt);
        const points = (JSON.parse(text) as { points: number }).points;
        ackedPoints += points;
        if (loading) ackedInWindow += points;
        requests += 1;
        const probe = probes.get(url.split('/').at(-2)!);
        if (probe) noteProbeAck(probe, init?.body, answeredAt);
      }
      return new Response(text, { status: response.status, headers: response.headers });
    };

    const peakRate = options.rate * Math.max(1, options.burst.factor);
    // Two seconds of a run's peak share may wait in its client: past that, log() waits (backpressure).
    const maxQueuedPoints = Math.max(options.keys, Math.ceil((2 * peakRate) / options.runs));
    const clients: RunlogClient[] = [];
    const runs: Run[] = [];
    const experiment = await post<{ experimentId: string }>(server.base, '/api/v1/experiments', {
      name: label,
    });
    const { experimentId } = experiment.body;
    for (let r = 0; r < options.runs; r++) {
      const client = new RunlogClient({
        baseUrl: server.base,
        flushOnExit: false,
        maxQueuedPoints,
        fetch: timedFetch,
      });
      const run = await client.startRun({
        experimentId,
        name: `${label}-${r}`,
        captureContext: false,
      });
      clients.push(client);
      runs.push(run);
      if (r < PROBE_RUNS) probes.set(run.runId, { runId: run.runId, acked: null, measuredStep: -1 });
      // Each client flushes on its own 1 s timer: staggered starts spread the runs' requests over the second.
      await sleep(1000 / options.runs);
    }

    // Pre-built values: the generator's cost per step is one log() call.
    const keys = Array.from({ length: options.keys }, (_, k) => `k${String(k).padStart(3, '0')}`);
    const pool = Array.from({ length: VALUE_POOL }, () =>
      Object.fromEntries(keys.map((key) => [key, Math.random()])),
    );
    const steps = new Array<number>(options.runs).fill(0);
    let offeredSteps = 0;
    let shedSteps = 0;
    let waitingLogs = 0;
    // log() settles a microtask later even with room; only calls still unsettled a tick later are backpressure.
    const maxWaitingLogs = Math.ceil(peakRate / options.keys);
    let generatorError: unknown = null;

    const lag: SustainedResult['lag'] = [];
    const serverRss: SustainedResult['serverRss'] = [];
    let serverPeak = 0;
    let generatorPeak = 0;
    const started = performance.now();
    const [serverCpuBefore, generatorCpuBefore] = [processCpuSeconds(pid), process.cpuUsage()];
    const elapsed = () => (performance.now() - started) / 1000;
    let monitoring = true;
    const pollErrors: SustainedResult['pollErrors'] = { count: 0, first: null };
    const failedPoll = (error: unknown) => {
      pollErrors.count += 1;
      pollErrors.first ??= error instanceof Error ? error.message : String(error);
      return null;
    };
    const monitor = (async () => {
      while (monitoring) {
        const lags = await projectionLag(server.base).catch(failedPoll);
        const seconds = Math.round(elapsed() * 10) / 10;
        if (lags) lag.push({ seconds, entries: lags.reduce((sum, l) => sum + l.lag, 0) });
        const memory = processMemoryMiB(pid);
        serverPeak = Math.max(serverPeak, memory.hwm);
        serverRss.push({ seconds, rssMiB: Math.round(memory.rss) });
        generatorPeak = Math.max(generatorPeak, process.memoryUsage.rss() / 2 ** 20);
        if (loading) {
          const done = Math.min(Math.floor(elapsed()), options.seconds);
          status(
            `${label}: ${done}/${options.seconds} s, ${(offeredSteps * options.keys).toLocaleString('en')} points ` +
              `offered, ${ackedPoints.toLocaleString('en')} acknowledged, lag ${lag.at(-1)?.entries ?? '?'} entries, ` +
              `server RSS ${Math.round(memory.rss)} MiB`,
            done,
          );
        }
        await sleep(MONITOR_MS);
      }
    })();
    const freshnessLoops = [...probes.values()].map(async (probe) => {
      while (monitoring) {
        const target = probe.acked;
        if (!target || target.step <= probe.measuredStep) {
          await sleep(FRESHNESS_POLL_MS);
          continue;
        }
        while (monitoring && !(await pointVisible(server.base, probe.runId, target.step).catch(failedPoll))) {
          await sleep(FRESHNESS_POLL_MS);
        }
        if (monitoring) freshness.add(performance.now() - target.at);
        probe.measuredStep = target.step;
      }
    });

    // The generator: each tick offers the steps due by now; more than one second behind is shed, not queued.
    while (elapsed() < options.seconds) {
      const due = Math.floor(offeredBy(options, elapsed()) / options.keys) - offeredSteps - shedSteps;
      const behindLimit = Math.ceil(rateAt(options, elapsed()) / options.keys);
      const toShed = Math.max(0, due - behindLimit);
      shedSteps += toShed;
      const now = Date.now();
      for (let i = 0; i < due - toShed; i++) {
        if (waitingLogs >= maxWaitingLogs) {
          shedSteps += due - toShed - i;
          break;
        }
        const r = (offeredSteps + shedSteps) % options.runs;
        const step = steps[r]++;
        waitingLogs += 1;
        runs[r]
          .log(pool[step % VALUE_POOL], step, now)
          .catch((error: unknown) => (generatorError ??= error))
          .finally(() => (waitingLogs -= 1));
        offeredSteps += 1;
      }
      await sleep(TICK_MS);
    }
    const loadSeconds = elapsed();
    loading = false;
    const cpuSeconds = {
      server: Math.round((processCpuSeconds(pid) - serverCpuBefore) * 10) / 10,
      generator:
        Math.round(Object.values(process.cpuUsage(generatorCpuBefore)).reduce((a, b) => a + b) / 1e5) / 10,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
    };
    if (generatorError) throw generatorError;
    if (process.stdout.isTTY) process.stdout.write('\n');

    await Promise.all(clients.map((client) => client.close()));
    const drainStarted = performance.now();
    let drainSeconds: number | null = null;
    while (performance.now() - drainStarted < DRAIN_WAIT_MS) {
      if ((await projectionLag(server.base)).every((l) => l.lag === 0)) {
        drainSeconds = Math.round((performance.now() - drainStarted) / 100) / 10;
        break;
      }
      await sleep(100);
    }
    await sleep(MONITOR_MS); // one more lag sample at zero for the chart
    monitoring = false;
    await Promise.all([monitor, ...freshnessLoops]);

    return {
      options,
      offeredPoints: offeredSteps * options.keys,
      shedPoints: shedSteps * options.keys,
      ackedPoints,
      ackedPointsPerSecond: Math.round(ackedInWindow / loadSeconds),
      requests,
      ackMs: quantiles(ackLatency.samples),
      freshnessMs: {
        ...quantiles(freshness.samples),
        samples: freshness.samples.length,
        pollMs: FRESHNESS_POLL_MS,
      },
      drainSeconds,
      lag,
      serverRss,
      serverPeakRssMiB: Math.round(serverPeak),
      generatorPeakRssMiB: Math.round(generatorPeak),
      cpuSeconds,
      pollErrors,
    };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Reads the probe key's highest step from a probe run's (gzipped) batch: the point freshness waits for. */
function noteProbeAck(probe: Probe, body: unknown, answeredAt: number): void {
  if (!(body instanceof Uint8Array)) return;
  const raw = body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body;
  const batch = JSON.parse(Buffer.from(raw).toString('utf8')) as {
    metrics: { key: string; steps: number[] }[];
  };
  const steps = batch.metrics.find((metric) => metric.key === PROBE_KEY)?.steps;
  if (!steps?.length) return;
  const step = steps[steps.length - 1];
  if (!probe.acked || step > probe.acked.step) probe.acked = { step, at: answeredAt };
}
