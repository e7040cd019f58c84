import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isLabelValue,
  isQualifiedName,
  isValidPortName,
} from './name-rules.js';

const labelMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe('name rules (k8s.io/apimachinery/pkg/util/validation)', () => {
  it('accepts valid names and labels', () => {
    assert.deepEqual(isDns1123Label('web-1'), []);
    assert.deepEqual(isDns1123Subdomain('mocka-ap-northeast-1a.v1'), []);
    assert.deepEqual(isDns1035Label('mocka'), []);
    assert.deepEqual(isQualifiedName('topology.kubernetes.io/zone'), []);
    assert.deepEqual(isLabelValue(''), []);
    assert.deepEqual(isValidPortName('http-alt'), []);
  });

  it('says "must not contain dots" for a subdomain used as a label', () => {
    assert.deepEqual(isDns1123Label('a.b'), ['must not contain dots']);
  });

  it('gives the RFC 1123 label message with the double-spaced example list', () => {
    assert.deepEqual(isDns1123Label('Web'), [labelMsg]);
  });

  it('reports length and syntax separately', () => {
    assert.deepEqual(isDns1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
    assert.equal(isDns1123Subdomain('-x').length, 1);
    assert.match(
      isDns1035Label('1abc')[0] ?? '',
      /^a DNS-1035 label must .* start with an alphabetic character/,
    );
  });

  it('checks qualified names part by part', () => {
    assert.deepEqual(isQualifiedName('/x'), ['prefix part must be non-empty']);
    assert.deepEqual(isQualifiedName('example.com/'), [
      'name part must be non-empty',
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
    assert.match(
      isQualifiedName('a/b/c')[0] ?? '',
      /^a qualified name .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/,
    );
  });

  it('checks port names like IANA_SVC_NAME', () => {
    assert.deepEqual(isValidPortName('8080'), ['must contain at least one letter (a-z)']);
    assert.deepEqual(isValidPortName('a--b'), ['must not contain consecutive hyphens']);
    assert.deepEqual(isValidPortName('http_1'), [
      'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    ]);
  });
});
