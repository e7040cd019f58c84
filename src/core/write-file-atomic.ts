/**
 * Writes a file so that a reader polling for it sees either nothing or all of it: the text goes to
 * a sibling temporary file that is then renamed over the target (rename is atomic within one
 * directory on POSIX). Used for every file another process reads while we run: kubeconfigs, the
 * admin address file, lab state.
 */
import { renameSync, writeFileSync } from 'node:fs';

export function writeFileAtomic(path: string, text: string, options: { mode?: number } = {}): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, options.mode === undefined ? {} : { mode: options.mode });
  renameSync(tmp, path);
}
