import { dockerAnswers, engineSource } from './engine-source';

describe('engineSource: environment, then testcontainers when Docker answers, then the native stack', () => {
  it('takes an engine named in the environment as it is, whatever else holds', () => {
    expect(engineSource(true, true)).toBe('environment');
    expect(engineSource(true, false, 'native')).toBe('environment');
  });

  it('uses containers only when a Docker engine answers, and the native stack otherwise', () => {
    expect(engineSource(false, true)).toBe('testcontainers');
    expect(engineSource(false, false)).toBe('native');
  });

  it('can be forced, and refuses a choice it does not know', () => {
    expect(engineSource(false, true, 'native')).toBe('native');
    expect(engineSource(false, false, 'testcontainers')).toBe('testcontainers');
    expect(() => engineSource(false, false, 'podman')).toThrow(/RUNLOG_TEST_ENGINES/);
  });

  it('finds no Docker engine where there is no socket and no DOCKER_HOST', async () => {
    expect(await dockerAnswers({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' })).toBe(false);
  });
});
