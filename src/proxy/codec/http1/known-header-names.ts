/**
 * Header names that most requests and responses carry, matched in place in the received head.
 *
 * A name sliced out of the head is a new string; the first time it is used as an object key (the
 * upstream response headers object) V8 has to look up its internalized twin in the string table, on
 * both the read and the write of a megamorphic keyed access (`StringTable::FindEntry` under
 * `KeyedLoadIC_Megamorphic` in the profile of `toIncomingHeaders`). Returning the string literal
 * instead - internalized once at load time - skips the slice, the lower-casing and those lookups.
 */
const names = [
  'host',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'authorization',
  'cache-control',
  'connection',
  'content-encoding',
  'content-length',
  'content-type',
  'cookie',
  'date',
  'etag',
  'expect',
  'keep-alive',
  'last-modified',
  'location',
  'server',
  'set-cookie',
  'te',
  'transfer-encoding',
  'upgrade',
  'vary',
  'grpc-status',
  'grpc-message',
  'traceparent',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-request-id',
  'x-envoy-expected-rq-timeout-ms',
  'x-envoy-upstream-service-time',
];

const byLength: Array<readonly string[] | undefined> = [];
for (const name of names) byLength[name.length] = [...(byLength[name.length] ?? []), name];

/**
 * The literal for the header name `text[start, end)` compared ASCII case-insensitively (the caller
 * has checked that it is a token), or undefined when it is not one of the names above.
 */
export function knownHeaderName(text: string, start: number, end: number): string | undefined {
  const candidates = byLength[end - start];
  if (candidates === undefined) return undefined;
  for (const name of candidates) {
    let k = 0;
    for (; k < name.length; k++) {
      let c = text.charCodeAt(start + k);
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if (c !== name.charCodeAt(k)) break;
    }
    if (k === name.length) return name;
  }
  return undefined;
}
