/** What the bootstrap worker thread answers: the built config, or the error that rejected the file. */
import type { ConfigLocation } from '../../core/errors.js';
import type { BootstrapConfig } from '../config/bootstrap-config.js';

export type BootstrapWorkerReply =
  | { readonly kind: 'config'; readonly config: BootstrapConfig }
  | {
      readonly kind: 'configError';
      readonly code: string;
      readonly location: ConfigLocation;
      readonly problem: string;
    }
  | { readonly kind: 'error'; readonly code?: string; readonly message: string };
