import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const REPOSITORY = join(__dirname, '..', '..');
const GENERATED_TYPES = join(REPOSITORY, 'services', 'dashboard', 'src', 'api', 'generated.ts');
/** test/support/dashboard-types.ts, built by `npm run build` (before jest runs in `npm test`). */
const GENERATOR = join(REPOSITORY, 'dist', 'test', 'support', 'dashboard-types.js');

/** The dashboard's types are those of the schema the server serves (RUNLOG_UPDATE_DOCS=1 rewrites them). */
describe("the dashboard's GraphQL types", () => {
  it('are generated from the served schema and the operations the page sends', () => {
    const generated = execFileSync(process.execPath, [GENERATOR, REPOSITORY, GENERATED_TYPES], {
      encoding: 'utf8',
    });
    if (process.env.RUNLOG_UPDATE_DOCS === '1') {
      writeFileSync(GENERATED_TYPES, generated);
      return;
    }
    expect(readFileSync(GENERATED_TYPES, 'utf8')).toBe(generated);
  }, 60_000);
});
