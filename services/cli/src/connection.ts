import { resolveConnection, UsageError, type Connection } from '../../../libs/sdk/src/cli/option-values';
import { OperatorUsageError } from './audit-verify';

/** The server an operator command talks to (--url / RUNLOG_URL, --token / RUNLOG_TOKEN), a usage error if bad. */
export function operatorConnection(
  options: { url?: string; token?: string },
  env: Record<string, string | undefined>,
): Connection {
  try {
    return resolveConnection({ url: options.url, token: options.token }, env);
  } catch (error) {
    if (error instanceof UsageError) throw new OperatorUsageError(error.message);
    throw error;
  }
}
