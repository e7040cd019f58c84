/**
 * How a command reports the error that stops it: one line on stderr naming the command, the message
 * and, for Spillway's own errors, the stable code (docs/errors.md). Returns the exit status, 1.
 */
import { SpillwayError } from '../core/errors.js';

export function reportFatal(command: string, err: unknown): number {
  process.stderr.write(`spillway ${command}: ${fatalMessage(err)}\n`);
  return 1;
}

/** The message with its stable code, as reportFatal prints it. */
export function fatalMessage(err: unknown): string {
  return err instanceof SpillwayError
    ? `${err.message} [${err.code}]`
    : err instanceof Error
      ? err.message
      : String(err);
}
