import type { HelpTopic } from './command-line';
import { DEFAULT_URL } from './option-values';

const GLOBAL = `Options of every command:
  --url URL          the ingest API (default RUNLOG_URL, else ${DEFAULT_URL})
  --token TOKEN      an API token or a JWT (default RUNLOG_TOKEN; prefer it: options show up in ps)
  --workspace NAME   the workspace to act in (default RUNLOG_WORKSPACE, else the token's own)
  -h, --help         this help

Exit codes: 0 done, 1 refused by the server or unreachable, 2 bad input.
`;

const WHOAMI = `runlog whoami [--json]
  Who the server takes the credential for, and its roles per workspace (* is every workspace).
`;

const ISSUE = `runlog token issue --roles ROLES [--principal NAME] [--expires-in N(s|m|h|d) | --expires-at ISO]
                   [--description TEXT] [--act-on-behalf] [-q, --quiet]
  Issues an API token acting in the --workspace (else the caller's) with ROLES (comma-separated: viewer, writer,
  approver, admin). Only an admin there may issue for another --principal, roles it does not hold itself, or
  --act-on-behalf (the holder may stamp events "on behalf of" its users).
  The secret goes to stdout on its own line, shown this once; the details go to stderr. --quiet prints the secret
  only:  TOKEN=$(runlog token issue --roles writer --expires-in 30d --quiet)
  --expires-in counts from now (1s to 3650d); --expires-at is a date (midnight UTC) or a date-time with its offset.
`;

const LIST = `runlog token list [--json]
  The tokens of the --workspace (else every one the caller may see), revoked ones included; never their secrets.
`;

const REVOKE = `runlog token revoke <tokenId> [--reason TEXT]
  Revokes a token by its id (as listed): every server process refuses it once it has read the revocation.
`;

export function usage(topic: HelpTopic): string {
  switch (topic) {
    case 'whoami':
      return `${WHOAMI}\n${GLOBAL}`;
    case 'token issue':
      return `${ISSUE}\n${GLOBAL}`;
    case 'token list':
      return `${LIST}\n${GLOBAL}`;
    case 'token revoke':
      return `${REVOKE}\n${GLOBAL}`;
    case 'token':
      return `${ISSUE}\n${LIST}\n${REVOKE}\n${GLOBAL}`;
    default:
      return `runlog: API tokens and identity over a Runlog server's ingest API.\n\n${WHOAMI}\n${ISSUE}\n${LIST}\n${REVOKE}\n${GLOBAL}`;
  }
}
