/** The message of anything thrown (kafkajs and the API transport throw Errors; callbacks may throw anything). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
