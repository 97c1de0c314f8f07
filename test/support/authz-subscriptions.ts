import { GraphqlWsProbe, type ServerMessage } from './graphql-ws-probe';
import type { Operation } from './authz-graphql-cases';

const authorization = (token: string | null) => (token === null ? {} : { authorization: `Bearer ${token}` });

/**
 * A subscription without a credential must be refused: the socket closed with 4403 at init, or the operation
 * answered UNAUTHENTICATED. Answers what happened, for the assertion to show.
 */
export async function refusedWithoutToken(base: string, operation: Operation): Promise<string> {
  const probe = await GraphqlWsProbe.open(base, { awaitAck: false });
  try {
    const deadline = Date.now() + 5_000;
    while (!probe.closed && !probe.messages.some((message) => message.type === 'connection_ack')) {
      if (Date.now() > deadline) return 'neither acknowledged nor closed within 5 s';
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (probe.closed) return `closed ${probe.closed.code}`;
    probe.subscribe('1', operation.query, operation.variables);
    const answer = await probe
      .waitFor((message) => message.type !== 'connection_ack', 5_000)
      .catch(() => null);
    // Read again: the socket may have closed while waiting (TypeScript keeps the narrowing from before).
    const closed = probe.closed as { code: number } | null;
    if (closed) return `closed ${closed.code}`;
    const errors = answer?.payload as { extensions?: { code?: string } }[] | undefined;
    return answer?.type === 'error'
      ? `error ${errors?.[0]?.extensions?.code ?? JSON.stringify(errors)}`
      : `answered ${JSON.stringify(answer)}`;
  } finally {
    probe.close();
  }
}

/** Subscribes with the token and answers the first `next` (or error, or close) within the timeout. */
export async function firstAnswer(
  base: string,
  token: string,
  operation: Operation,
  afterSubscribe: () => Promise<void> = async () => {},
): Promise<ServerMessage | { type: 'closed'; code: number } | { type: 'nothing' }> {
  const probe = await GraphqlWsProbe.open(base, { connectionParams: authorization(token) });
  try {
    probe.subscribe('1', operation.query, operation.variables);
    await afterSubscribe();
    const answer = await probe
      .waitFor((message) => message.type === 'next' || message.type === 'error', 10_000)
      .catch(() => null);
    if (answer) return answer;
    return probe.closed ? { type: 'closed', code: probe.closed.code } : { type: 'nothing' };
  } finally {
    probe.close();
  }
}

/**
 * Every message two subscriptions get within `windowMs` (one naming another workspace's run, one an unknown run),
 * with the ids each names replaced, so the two lists can be held equal; `during` runs once both are subscribed
 * (it writes to the other workspace's run, which must not show).
 */
export async function messagesSideBySide(
  base: string,
  token: string,
  operations: { operation: Operation; ids: string[] }[],
  during: () => Promise<void>,
  windowMs = 1_500,
): Promise<string[]> {
  const probes = await Promise.all(
    operations.map(() => GraphqlWsProbe.open(base, { connectionParams: authorization(token) })),
  );
  try {
    probes.forEach((probe, index) =>
      probe.subscribe('1', operations[index].operation.query, operations[index].operation.variables),
    );
    await during();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    return probes.map((probe, index) => {
      let text = JSON.stringify({
        messages: probe.messages.filter((message) => message.type !== 'connection_ack'),
        closed: probe.closed?.code ?? null,
      });
      for (const id of operations[index].ids) text = text.split(id).join('<id>');
      return text;
    });
  } finally {
    probes.forEach((probe) => probe.close());
  }
}
