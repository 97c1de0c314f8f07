import type { CommandRunner } from './context';
import { SystemMetricsSampler } from './system-metrics';

/** The server's METRIC_KEY_PATTERN (libs/events/src/event-schemas.ts). */
const METRIC_KEY = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9_\-.:]+(?:\/[A-Za-z0-9_\-.:]+)*$/;
const MIB = 1024 * 1024;

/** Lets the CPU counters (10 ms ticks) move between construction and the first sample. */
const busyFor = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end);
};

const counting = (stdout: string | null) => {
  const calls: string[] = [];
  const exec: CommandRunner = async (command) => {
    calls.push(command);
    return stdout === null ? null : { stdout };
  };
  return { calls, exec };
};

describe('SystemMetricsSampler', () => {
  it('reports each GPU nvidia-smi lists, under system/gpu<i>/', async () => {
    const { exec } = counting('87, 30000, 40960, 65\n3, 512, 24564, [N/A]\n');
    const sampler = new SystemMetricsSampler({ exec });
    busyFor(50);

    const sample = await sampler.sample();

    expect(sample).toMatchObject({
      'system/gpu0/util_percent': 87,
      'system/gpu0/memory_used_bytes': 30000 * MIB,
      'system/gpu0/memory_util_percent': (100 * 30000) / 40960,
      'system/gpu0/temperature_c': 65,
      'system/gpu1/util_percent': 3,
      'system/gpu1/memory_used_bytes': 512 * MIB,
    });
    expect(sample).not.toHaveProperty('system/gpu1/temperature_c');
  });

  it('reports CPU, memory and process figures as finite numbers under keys the server takes', async () => {
    let now = 1_000;
    const sampler = new SystemMetricsSampler({ exec: counting('50, 1, 2, 40\n').exec, now: () => now });
    const samples = [];
    for (const ms of [50, 30]) {
      busyFor(ms);
      now += ms;
      samples.push(await sampler.sample());
    }

    for (const sample of samples) {
      expect(sample['system/cpu/util_percent']).toBeGreaterThanOrEqual(0);
      expect(sample['system/cpu/util_percent']).toBeLessThanOrEqual(100);
      expect(sample['system/memory/used_bytes']).toBeGreaterThan(0);
      expect(sample['system/memory/util_percent']).toBeGreaterThan(0);
      expect(sample['system/memory/util_percent']).toBeLessThanOrEqual(100);
      expect(sample['system/process/rss_bytes']).toBeGreaterThan(0);
      expect(sample['system/process/cpu_percent']).toBeGreaterThan(0);
      for (const [key, value] of Object.entries(sample)) {
        expect(key).toMatch(METRIC_KEY);
        expect(Number.isFinite(value)).toBe(true);
      }
    }
  });

  it('asks for nvidia-smi once when it is missing, and reports no GPU', async () => {
    const { calls, exec } = counting(null);
    const sampler = new SystemMetricsSampler({ exec });

    const samples = [await sampler.sample(), await sampler.sample()];

    expect(calls).toEqual(['nvidia-smi']);
    for (const sample of samples)
      expect(Object.keys(sample).filter((key) => key.includes('gpu'))).toEqual([]);
    expect(samples[1]['system/memory/used_bytes']).toBeGreaterThan(0);
  });

  it('keeps asking a GPU that answered before, and never throws when the runner does', async () => {
    const answers: (() => Promise<{ stdout: string } | null>)[] = [
      async () => ({ stdout: '10, 1, 2, 30\n' }),
      async () => null,
      () => Promise.reject(new Error('timed out')),
      async () => ({ stdout: '20, 1, 2, 30\n' }),
    ];
    const exec: CommandRunner = () => answers.shift()!();
    const sampler = new SystemMetricsSampler({ exec });

    const utils = [];
    for (let i = 0; i < 4; i += 1) utils.push((await sampler.sample())['system/gpu0/util_percent']);

    expect(utils).toEqual([10, undefined, undefined, 20]);
  });
});
