/**
 * What every controller gets: the API client, injected time and randomness, and the event recorder.
 */
import type { Clock } from '../../../core/clock.js';
import type { Random } from '../../../core/random.js';
import { randomBelow } from '../../../core/random.js';
import { KubeApiError } from '../kube-object.js';
import type { ObjectClient } from '../object-client.js';
import type { EventRecorder } from './event-recorder.js';
import { NAME_SUFFIX_ALPHABET } from './owner-references.js';

export interface ControllerContext {
  readonly client: ObjectClient;
  readonly clock: Clock;
  readonly random: Random;
  readonly recorder: EventRecorder;
}

/** `n` random characters of the alphabet the apiserver uses for `generateName` suffixes. */
export function randomSuffix(random: Random, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += NAME_SUFFIX_ALPHABET[randomBelow(random, NAME_SUFFIX_ALPHABET.length)];
  return out;
}

/** True for a 404 from the API (the object went away; nothing to do). */
export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 404;
}

/** True for 409 AlreadyExists. */
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 409 && err.reason === 'AlreadyExists';
}

/** Wall-clock now as an RFC 3339 timestamp with second precision, as Kubernetes writes them. */
export function nowTimestamp(clock: Clock): string {
  return new Date(clock.wallMs()).toISOString().replace(/\.\d+Z$/, 'Z');
}
