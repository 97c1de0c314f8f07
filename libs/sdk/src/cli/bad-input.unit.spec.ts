import fc from 'fast-check';
import { EXIT_OK, EXIT_USAGE, runCli } from './run-cli';
import { capturedOutput, startTokenApiStandIn } from './token-api-stand-in';

const NOW = Date.parse('2026-03-01T00:00:00.000Z');
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;
const TEN_YEARS_MS = 3650 * UNIT_MS.d;

let standIn: Awaited<ReturnType<typeof startTokenApiStandIn>>;
beforeAll(async () => {
  standIn = await startTokenApiStandIn();
});
afterAll(() => standIn.close());
beforeEach(() => {
  standIn.received.length = 0;
});

async function run(argv: string[], env: Record<string, string> = {}) {
  const { output, stdout, stderr } = capturedOutput();
  const env_ = { RUNLOG_URL: standIn.baseUrl, RUNLOG_TOKEN: 'rl_caller', ...env };
  const code = await runCli(argv, { env: env_, stdout, stderr, now: () => NOW });
  return { code, ...output };
}

/** Refused before anything is sent: exit 2, one line on stderr naming what was wrong, nothing on stdout. */
async function expectRefused(argv: string[], naming: string | RegExp, env: Record<string, string> = {}) {
  const { code, stdout, stderr } = await run(argv, env);
  expect({ argv, code }).toEqual({ argv, code: EXIT_USAGE });
  expect(stdout).toBe('');
  expect(stderr).toMatch(/^runlog: [^\n]+\n$/);
  if (typeof naming === 'string') expect(stderr).toContain(naming);
  else expect(stderr).toMatch(naming);
  expect(standIn.received).toEqual([]);
  return stderr;
}

/** Independent of the parser: valid means "<n><unit>" written as String(n), from 1 s to ten years. */
function isValidExpiresIn(text: string): boolean {
  const unit = text.slice(-1) as Unit;
  const amount = text.slice(0, -1);
  if (!(unit in UNIT_MS)) return false;
  const n = Number(amount);
  return Number.isSafeInteger(n) && String(n) === amount && n >= 1 && n * UNIT_MS[unit] <= TEN_YEARS_MS;
}

const unit = fc.constantFrom<Unit>('s', 'm', 'h', 'd');

/** Near misses of the valid form: signs, decimals, exponents, spaces, other units, leading zeros, huge numbers. */
const nearMiss = fc
  .tuple(
    fc.constantFrom('', '-', '+', ' ', '0', '00', '\n', '١'),
    fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String), fc.double().map(String)),
    fc.constantFrom('', '.5', 'e3', ' ', '_000'),
    fc.constantFrom('s', 'm', 'h', 'd', 'S', 'D', 'ms', 'w', 'y', '', ' d', 'dd', 'days', '\u0000'),
  )
  .map(([prefix, amount, middle, suffix]) => `${prefix}${amount}${middle}${suffix}`);

describe('--expires-in <n>(s|m|h|d)', () => {
  it('accepts every whole amount from 1 s to ten years, sent as now + that long', async () => {
    const maxOf = (u: Unit) => TEN_YEARS_MS / UNIT_MS[u];
    const edge = unit.chain((u) => fc.constantFrom(1, 2, maxOf(u) - 1, maxOf(u)).map((n) => [n, u] as const));
    const inside = unit.chain((u) => fc.integer({ min: 1, max: maxOf(u) }).map((n) => [n, u] as const));
    await fc.assert(
      fc.asyncProperty(fc.oneof(edge, inside), async ([n, u]) => {
        standIn.received.length = 0;
        const { code, stdout } = await run([
          'token',
          'issue',
          '--roles',
          'viewer',
          '-q',
          `--expires-in=${n}${u}`,
        ]);
        expect(code).toBe(EXIT_OK);
        expect(stdout).toMatch(/^rl_\w+\n$/);
        const expected = new Date(NOW + n * UNIT_MS[u]).toISOString();
        expect(standIn.received.map((request) => request.body)).toEqual([
          { roles: ['viewer'], expiresAt: expected },
        ]);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses zero, one past ten years, and anything not in that form, naming --expires-in', async () => {
    const beyond = unit.map((u) => `${TEN_YEARS_MS / UNIT_MS[u] + 1}${u}`);
    const zero = unit.map((u) => `0${u}`);
    const slips = [
      '01d',
      '007h',
      '1.5h',
      '1e3s',
      '+1d',
      '-1d',
      ' 1d',
      '1d ',
      '1D',
      '1w',
      '1ms',
      'd',
      '30',
      '',
      '3651d',
    ];
    const anything = fc.oneof(beyond, zero, nearMiss, fc.string(), fc.string({ unit: 'binary' }));
    await fc.assert(
      fc.asyncProperty(
        anything.filter((text) => !isValidExpiresIn(text)),
        async (text) => {
          await expectRefused(
            ['token', 'issue', '--roles', 'viewer', `--expires-in=${text}`],
            '--expires-in',
          );
        },
      ),
      { numRuns: 300, examples: slips.map((slip) => [slip]) },
    );
  });
});

describe('bad input', () => {
  const cases: [string, string[], string][] = [
    ['no --roles', ['token', 'issue'], '--roles is required'],
    ['an empty --roles', ['token', 'issue', '--roles', ' , '], '--roles needs at least one'],
    ['an unknown role', ['token', 'issue', '--roles', 'viewer,owner'], '--roles: "owner" is not a role'],
    ['--roles without a value', ['token', 'issue', '--roles'], '--roles needs a value'],
    [
      'both expiries',
      ['token', 'issue', '--roles', 'viewer', '--expires-in', '1d', '--expires-at', '2027-01-01'],
      '--expires-in and --expires-at',
    ],
    [
      'a past --expires-at',
      ['token', 'issue', '--roles', 'viewer', '--expires-at', '2026-02-28'],
      '--expires-at must be in the future',
    ],
    [
      'a --expires-at without offset',
      ['token', 'issue', '--roles', 'viewer', '--expires-at', '2027-01-01T10:00'],
      '--expires-at must be a date',
    ],
    [
      'a --expires-at on no calendar day',
      ['token', 'issue', '--roles', 'viewer', '--expires-at', '2027-02-30'],
      '--expires-at must be a date',
    ],
    [
      'a --expires-at past ten years',
      ['token', 'issue', '--roles', 'viewer', '--expires-at', '2036-03-01T00:00:01Z'],
      '--expires-at must be within ten years',
    ],
    ['an unknown option', ['token', 'list', '--colour'], 'unknown option --colour'],
    [
      "another command's option",
      ['token', 'list', '--quiet'],
      '--quiet is not an option of runlog token list',
    ],
    ['a value to a flag', ['token', 'issue', '--roles', 'viewer', '--quiet=yes'], '--quiet takes no value'],
    ['an unknown command', ['tokens', 'list'], 'unknown command "tokens"'],
    ['an unknown token command', ['token', 'delete'], 'unknown command "delete" (see runlog token --help)'],
    ['no command', [], 'runlog needs a command'],
    ['revoke without an id', ['token', 'revoke'], 'runlog token revoke needs <tokenId>'],
    ['revoke with a bad id', ['token', 'revoke', 'abc'], '<tokenId> must be 16 hex digits'],
    ['an extra argument', ['whoami', 'now'], 'unexpected argument "now" to runlog whoami'],
    ['a non-http --url', ['whoami', '--url', 'ftp://example.com'], '--url must be an http(s) URL'],
    ['a malformed --url', ['whoami', '--url', 'localhost:8080x'], '--url must be an http(s) URL'],
    ['a --workspace that is no name', ['whoami', '--workspace', 'a b'], '--workspace must be'],
    ['a --token with a space', ['whoami', '--token', 'rl_a b'], '--token must be printable ASCII'],
  ];
  it.each(cases)('refuses %s with exit 2, naming it', async (_, argv, naming) => {
    await expectRefused(argv, naming);
  });

  it('names the environment variable when the value came from there', async () => {
    await expectRefused(['whoami'], 'RUNLOG_URL must be an http(s) URL', { RUNLOG_URL: 'not a url' });
    await expectRefused(['whoami'], 'RUNLOG_WORKSPACE must be', { RUNLOG_WORKSPACE: '-x' });
    await expectRefused(['whoami'], 'RUNLOG_TOKEN must be printable', { RUNLOG_TOKEN: 'rl_a\nb' });
  });

  it('never echoes a token or a pasted secret', async () => {
    const secret = 'rl_0123456789abcdef_t0ps3cr3t';
    expect(await expectRefused(['token', 'revoke', secret], 'looks like a token secret')).not.toContain(
      't0ps3cr3t',
    );
    expect(await expectRefused(['whoami', '--token', 'x y t0ps3cr3t'], '--token')).not.toContain('t0ps3cr3t');
  });

  it('prints help on stdout with exit 0 and sends nothing, whatever else is on the line', async () => {
    for (const argv of [['--help'], ['token', '-h'], ['token', 'issue', '--help', '--expires-in', 'soon']]) {
      const { code, stdout, stderr } = await run(argv);
      expect(code).toBe(EXIT_OK);
      expect(stderr).toBe('');
      expect(stdout).toContain('runlog token issue --roles');
    }
    expect((await run(['whoami', '--help'])).stdout).toMatch(/^runlog whoami/);
    expect(standIn.received).toEqual([]);
  });
});
