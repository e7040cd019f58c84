/**
 * The translation entry point for one proxy: Istio config + registry -> its xDS resources, exactly
 * as Istio 1.28 would generate them within what the Spillway proxy implements (ADR 0008). A
 * long-lived control plane keeps one `Translator` to share work across proxies; this function is
 * the stateless form.
 */
import type { XdsResourceSet } from '../envoy/xds-resource.js';
import { Translator, type TranslationInput } from './translator.js';

export function generateProxyResources(input: TranslationInput): XdsResourceSet {
  return new Translator().translate(input).resources;
}
