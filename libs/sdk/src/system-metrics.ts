import os from 'node:os';
import { defaultCommandRunner, type CommandRunner } from './context';

/**
 * Metric key → value, ready for `run.log()`: `system/cpu/util_percent`, `system/memory/used_bytes`,
 * `system/memory/util_percent`, `system/process/rss_bytes`, `system/process/cpu_percent`, and per GPU
 * `system/gpu<i>/util_percent`, `memory_used_bytes`, `memory_util_percent`, `temperature_c`.
 */
export interface SystemSample {
  [key: string]: number;
}

export interface SystemMetricsSamplerOptions {
  exec?: CommandRunner;
  /** Milliseconds; the wall clock the process's CPU time is divided by. */
  now?: () => number;
}

const GPU_QUERY = [
  '--query-gpu=utilization.gpu,memory.used,memory.total,temperature.gpu',
  '--format=csv,noheader,nounits',
];
const MIB = 1024 * 1024;

/**
 * Samples the machine and this process. Each sample reports CPU utilisation over the time since the previous one
 * (since construction for the first). Never throws: a figure that cannot be read is left out of the sample.
 */
export class SystemMetricsSampler {
  private readonly exec: CommandRunner;
  private readonly now: () => number;
  private cpu = cpuTimes();
  private processCpu = { micros: cpuMicros(), at: 0 };
  // A machine without nvidia-smi would otherwise pay for a failing spawn every sample.
  private nvidiaSmi: 'unknown' | 'present' | 'missing' = 'unknown';

  constructor(options: SystemMetricsSamplerOptions = {}) {
    this.exec = options.exec ?? defaultCommandRunner;
    this.now = options.now ?? Date.now;
    this.processCpu.at = this.now();
  }

  async sample(): Promise<SystemSample> {
    const sample: SystemSample = {};
    const put = (key: string, read: () => number) => {
      try {
        const value = read();
        if (Number.isFinite(value)) sample[key] = value;
      } catch {
        // Left out of this sample.
      }
    };
    const gpus = this.queryGpus();
    const cpu = cpuTimes();
    const [idle, total] = [cpu.idle - this.cpu.idle, cpu.total - this.cpu.total];
    // Samples closer than a clock tick keep the old baseline; counters that went back (a core went offline) reset it.
    if (total > 0 && idle >= 0 && idle <= total)
      put('system/cpu/util_percent', () => (100 * (total - idle)) / total);
    if (total !== 0) this.cpu = cpu;
    const [micros, at] = [cpuMicros(), this.now()];
    if (at > this.processCpu.at) {
      put(
        'system/process/cpu_percent',
        () => (micros - this.processCpu.micros) / 10 / (at - this.processCpu.at),
      );
      this.processCpu = { micros, at };
    }
    put('system/memory/used_bytes', () => os.totalmem() - os.freemem());
    put('system/memory/util_percent', () => (100 * (os.totalmem() - os.freemem())) / os.totalmem());
    put('system/process/rss_bytes', () => process.memoryUsage.rss());
    for (const [index, [util, used, totalMib, temperature]] of (await gpus).entries()) {
      put(`system/gpu${index}/util_percent`, () => util);
      put(`system/gpu${index}/memory_used_bytes`, () => used * MIB);
      put(`system/gpu${index}/memory_util_percent`, () => (totalMib > 0 ? (100 * used) / totalMib : NaN));
      put(`system/gpu${index}/temperature_c`, () => temperature);
    }
    return sample;
  }

  /** One row of numbers per GPU (`[N/A]` becomes NaN and is left out); [] when there is no nvidia-smi. */
  private async queryGpus(): Promise<number[][]> {
    if (this.nvidiaSmi === 'missing') return [];
    const result = await Promise.resolve()
      .then(() => this.exec('nvidia-smi', GPU_QUERY, { cwd: process.cwd(), timeoutMs: 2_000 }))
      .catch(() => null);
    if (typeof result?.stdout !== 'string') {
      // Missing only if it never answered: a GPU that answered before may just be busy this time.
      if (this.nvidiaSmi === 'unknown') this.nvidiaSmi = 'missing';
      return [];
    }
    this.nvidiaSmi = 'present';
    const lines = result.stdout.split('\n').filter((line) => line.trim());
    return lines.map((line) => line.split(',').map((field) => Number(field.trim())));
  }
}

/** Summed over every core, in ms: utilisation is the share of the time between two readings not spent idle. */
function cpuTimes(): { idle: number; total: number } {
  try {
    const cores = os.cpus().map(({ times }) => [times.idle, times.user + times.nice + times.sys + times.irq]);
    return { idle: sum(cores.map(([idle]) => idle)), total: sum(cores.map(([idle, busy]) => idle + busy)) };
  } catch {
    return { idle: 0, total: 0 };
  }
}
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
