import { EXIT_FAILED, EXIT_OK, runCli } from './run-cli';
import {
  capturedOutput,
  ISSUED_SECRET,
  ISSUED_TOKEN_ID,
  LISTED_TOKENS,
  startTokenApiStandIn,
} from './token-api-stand-in';

const NOW = Date.parse('2026-03-01T00:00:00.000Z');
const CALLER_TOKEN = 'rl_0123456789abcdef_c4ll3r';

let standIn: Awaited<ReturnType<typeof startTokenApiStandIn>>;

beforeEach(async () => {
  standIn = await startTokenApiStandIn({
    'POST /api/v1/tokens/fedcba9876543210/revoke': [
      403,
      {
        error: 'forbidden',
        message: 'only its holder or an admin of "vision" may revoke token fedcba9876543210',
      },
    ],
  });
});
afterEach(() => standIn.close());

async function run(argv: string[], env: Record<string, string> = {}) {
  const { output, stdout, stderr } = capturedOutput();
  const env_ = { RUNLOG_URL: standIn.baseUrl, RUNLOG_TOKEN: CALLER_TOKEN, ...env };
  const code = await runCli(argv, { env: env_, stdout, stderr, now: () => NOW });
  return { code, ...output };
}

describe('runlog whoami', () => {
  it('sends the token as a bearer and the workspace header, and prints principal, kind and grants', async () => {
    const { code, stdout } = await run(['whoami'], { RUNLOG_WORKSPACE: 'vision' });
    expect(code).toBe(EXIT_OK);
    expect(standIn.received).toHaveLength(1);
    expect(standIn.received[0].path).toBe('/api/v1/whoami');
    expect(standIn.received[0].headers.authorization).toBe(`Bearer ${CALLER_TOKEN}`);
    expect(standIn.received[0].headers['x-runlog-workspace']).toBe('vision');
    expect(stdout.split('\n')).toEqual([
      'principal  ci',
      'kind       token',
      'token      0123456789abcdef',
      'grants     vision: viewer, writer',
      '           *: viewer',
      '',
    ]);
  });

  it('takes --url, --token and --workspace over the environment', async () => {
    const env = { RUNLOG_URL: 'http://127.0.0.1:1', RUNLOG_TOKEN: 'rl_env', RUNLOG_WORKSPACE: 'env-ws' };
    const argv = ['whoami', '--url', standIn.baseUrl, '--token', 'rl_flag', '--workspace', 'nlp', '--json'];
    const { code, stdout } = await run(argv, env);
    expect(code).toBe(EXIT_OK);
    expect(standIn.received[0].headers.authorization).toBe('Bearer rl_flag');
    expect(standIn.received[0].headers['x-runlog-workspace']).toBe('nlp');
    expect(JSON.parse(stdout)).toMatchObject({ principal: 'ci', grants: { vision: ['viewer', 'writer'] } });
  });

  it('sends no credential when neither --token nor RUNLOG_TOKEN is set (a local server owner)', async () => {
    const { code } = await run(['whoami'], { RUNLOG_TOKEN: '' });
    expect(code).toBe(EXIT_OK);
    expect(standIn.received[0].headers.authorization).toBeUndefined();
    expect(standIn.received[0].headers['x-runlog-workspace']).toBeUndefined();
  });
});

describe('runlog token issue', () => {
  it('sends the roles, workspace and an expiry computed from --expires-in, the secret alone on stdout', async () => {
    const argv = [
      'token',
      'issue',
      '--roles',
      'viewer,writer',
      '--workspace',
      'vision',
      '--expires-in',
      '30d',
    ];
    argv.push('--principal', 'ci-bot', '--description', 'nightly CI', '--act-on-behalf');
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(EXIT_OK);
    expect(standIn.received).toHaveLength(1);
    const [request] = standIn.received;
    expect(`${request.method} ${request.path}`).toBe('POST /api/v1/tokens');
    expect(request.headers.authorization).toBe(`Bearer ${CALLER_TOKEN}`);
    expect(request.headers['x-runlog-workspace']).toBe('vision');
    expect(request.body).toEqual({
      roles: ['viewer', 'writer'],
      workspace: 'vision',
      principal: 'ci-bot',
      expiresAt: new Date(NOW + 30 * 86_400_000).toISOString(),
      description: 'nightly CI',
      actOnBehalf: true,
    });
    expect(stdout).toBe(`${ISSUED_SECRET}\n`);
    expect(stderr).not.toContain(ISSUED_SECRET);
    for (const detail of [ISSUED_TOKEN_ID, 'ci-bot', 'vision', 'viewer, writer', '2026-03-31T00:00:00Z']) {
      expect(stderr).toContain(detail);
    }
    expect(stderr).toMatch(/^Issued token /);
    expect(stderr).toMatch(/\nThe secret above [^\n]*cannot be shown again[^\n]*\n$/);
  });

  it('prints only the secret with --quiet, and sends --expires-at as an ISO instant', async () => {
    const argv = ['token', 'issue', '-q', '--roles=writer', '--expires-at', '2026-06-01'];
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(EXIT_OK);
    expect(stdout).toBe(`${ISSUED_SECRET}\n`);
    expect(stderr).toBe('');
    expect(standIn.received[0].body).toEqual({ roles: ['writer'], expiresAt: '2026-06-01T00:00:00.000Z' });
  });

  it('sends no expiry when none is asked for, and says the token never expires', async () => {
    const { code, stderr } = await run(['token', 'issue', '--roles', 'viewer']);
    expect(code).toBe(EXIT_OK);
    expect(standIn.received[0].body).toEqual({ roles: ['viewer'] });
    expect(stderr).toMatch(/expires\s+never/);
  });
});

describe('runlog token list', () => {
  it('asks for the workspace and prints a table', async () => {
    const { code, stdout } = await run(['token', 'list'], { RUNLOG_WORKSPACE: 'vision' });
    expect(code).toBe(EXIT_OK);
    expect(`${standIn.received[0].method} ${standIn.received[0].path}`).toBe(
      'GET /api/v1/tokens?workspace=vision',
    );
    const lines = stdout.trimEnd().split('\n');
    expect(lines.map((line) => line.split(/\s+/).join(' '))).toEqual([
      'ID PRINCIPAL WORKSPACE ROLES ISSUED EXPIRES REVOKED',
      '0123456789abcdef ci vision viewer,writer 2026-01-02T03:04:05Z never -',
      'fedcba9876543210 bob vision admin 2026-01-03T00:00:00Z 2026-02-01T00:00:00Z 2026-01-10T12:00:00Z',
    ]);
    // Columns line up: each header starts where its cells do.
    expect(lines[1].indexOf('viewer,writer')).toBe(lines[0].indexOf('ROLES'));
  });

  it('prints the tokens as JSON with --json, and asks for every workspace without one', async () => {
    const { code, stdout } = await run(['token', 'list', '--json']);
    expect(code).toBe(EXIT_OK);
    expect(standIn.received[0].path).toBe('/api/v1/tokens');
    expect(JSON.parse(stdout)).toEqual(LISTED_TOKENS);
  });
});

describe('runlog token revoke', () => {
  it('posts to the token id path with the reason', async () => {
    const { code, stdout } = await run([
      'token',
      'revoke',
      '0123456789abcdef',
      '--reason',
      'leaked in a log',
    ]);
    expect(code).toBe(EXIT_OK);
    const [request] = standIn.received;
    expect(`${request.method} ${request.path}`).toBe('POST /api/v1/tokens/0123456789abcdef/revoke');
    expect(request.headers.authorization).toBe(`Bearer ${CALLER_TOKEN}`);
    expect(request.body).toEqual({ reason: 'leaked in a log' });
    expect(stdout).toBe('Revoked token 0123456789abcdef (at 2026-03-01T00:00:01Z by ci)\n');
  });

  it('sends an empty body without --reason', async () => {
    expect((await run(['token', 'revoke', '0123456789abcdef'])).code).toBe(EXIT_OK);
    expect(standIn.received[0].body).toEqual({});
  });
});

describe('failures', () => {
  it("exits 1 with the status and the server's message when the server refuses", async () => {
    const { code, stdout, stderr } = await run(['token', 'revoke', 'fedcba9876543210']);
    expect(code).toBe(EXIT_FAILED);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'runlog: the server refused with 403 forbidden: only its holder or an admin of "vision" may revoke token fedcba9876543210\n',
    );
  });

  it('exits 1 naming the URL when no server answers there', async () => {
    const closed = standIn.baseUrl;
    await standIn.close();
    const { code, stderr } = await run(['whoami'], { RUNLOG_URL: closed });
    expect(code).toBe(EXIT_FAILED);
    expect(stderr).toBe(`runlog: cannot reach ${closed}: ECONNREFUSED\n`);
    standIn = await startTokenApiStandIn();
  });

  it('asks http://127.0.0.1:8080 (the server default port) when neither --url nor RUNLOG_URL is set', async () => {
    const asked: string[] = [];
    const recordingFetch = (async (url: string) => {
      asked.push(url);
      return new Response(JSON.stringify({ principal: 'local', kind: 'local', grants: {} }));
    }) as unknown as typeof fetch;
    const { stdout, stderr } = capturedOutput();
    expect(await runCli(['whoami'], { env: {}, stdout, stderr, fetch: recordingFetch })).toBe(EXIT_OK);
    expect(asked).toEqual(['http://127.0.0.1:8080/api/v1/whoami']);
  });
});
