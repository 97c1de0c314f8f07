/** A request the server will never accept as it is (4xx): retrying would not help. */
export class RunlogRequestError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly path: string,
  ) {
    super(`Runlog refused ${path} with ${status}: ${body.slice(0, 300)}`);
  }
}
