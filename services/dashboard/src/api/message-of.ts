/** What a failed request or fetch says, for the page to show. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
