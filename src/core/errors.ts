/**
 * Errors with stable codes (`SPILLWAY_ERR_<AREA>_<WHAT>`), each listed in docs/errors.md.
 */
export class SpillwayError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpillwayError';
    this.code = code;
  }
}

/** Where in the user's input a problem was found. */
export interface ConfigLocation {
  /** The file the configuration came from, when it came from a file. */
  file?: string;
  /** Zero-based index of the YAML document inside a multi-document file. */
  documentIndex?: number;
  /** A JSON path such as `static_resources.clusters[0].connect_timeout`. */
  path: string;
}

/** Invalid configuration: always names the file, document and field path. */
export class ConfigError extends SpillwayError {
  readonly location: ConfigLocation;
  readonly problem: string;

  constructor(code: string, location: ConfigLocation, problem: string) {
    super(code, formatConfigProblem(location, problem));
    this.name = 'ConfigError';
    this.location = location;
    this.problem = problem;
  }

  /** The same problem, placed in a file/document (used when a parser did not know its source). */
  withSource(file: string | undefined, documentIndex?: number): ConfigError {
    const location: ConfigLocation = { ...this.location };
    if (file !== undefined) location.file = file;
    if (documentIndex !== undefined) location.documentIndex = documentIndex;
    return new ConfigError(this.code, location, this.problem);
  }
}

export function formatConfigProblem(location: ConfigLocation, problem: string): string {
  const parts: string[] = [];
  if (location.file !== undefined) parts.push(location.file);
  if (location.documentIndex !== undefined) parts.push(`document ${location.documentIndex}`);
  parts.push(location.path === '' ? '(root)' : location.path);
  return `${parts.join(': ')}: ${problem}`;
}

/** Error codes used across the project. Keep in sync with docs/errors.md. */
export const ErrorCode = {
  configInvalid: 'SPILLWAY_ERR_CONFIG_INVALID',
  configUnknownField: 'SPILLWAY_ERR_CONFIG_UNKNOWN_FIELD',
  configWrongType: 'SPILLWAY_ERR_CONFIG_WRONG_TYPE',
  configOutOfRange: 'SPILLWAY_ERR_CONFIG_OUT_OF_RANGE',
  configUnsupported: 'SPILLWAY_ERR_CONFIG_UNSUPPORTED',
  configParse: 'SPILLWAY_ERR_CONFIG_PARSE',
  configRead: 'SPILLWAY_ERR_CONFIG_READ',
  listenerBind: 'SPILLWAY_ERR_LISTENER_BIND',
  kubeDataCorrupt: 'SPILLWAY_ERR_KUBE_DATA_CORRUPT',
  kubeDataDirInUse: 'SPILLWAY_ERR_KUBE_DATA_DIR_IN_USE',
  translateNodeInvalid: 'SPILLWAY_ERR_TRANSLATE_NODE_INVALID',
  xdsServerBind: 'SPILLWAY_ERR_XDS_SERVER_BIND',
  xdsResourceInvalid: 'SPILLWAY_ERR_XDS_RESOURCE_INVALID',
  xdsProxyRefused: 'SPILLWAY_ERR_XDS_PROXY_REFUSED',
  kubeconfigInvalid: 'SPILLWAY_ERR_KUBE_KUBECONFIG_INVALID',
  istioConfigRejected: 'SPILLWAY_ERR_ISTIO_CONFIG_REJECTED',
  labRunning: 'SPILLWAY_ERR_LAB_RUNNING',
  labStartFailed: 'SPILLWAY_ERR_LAB_START_FAILED',
  labStateInvalid: 'SPILLWAY_ERR_LAB_STATE_INVALID',
  labKubeconfigInvalid: 'SPILLWAY_ERR_LAB_KUBECONFIG_INVALID',
  labNodeAgentFailed: 'SPILLWAY_ERR_LAB_NODE_AGENT_FAILED',
  labFaultInvalid: 'SPILLWAY_ERR_LAB_FAULT_INVALID',
  demoTopologyUnsupported: 'SPILLWAY_ERR_DEMO_TOPOLOGY_UNSUPPORTED',
  demoFailed: 'SPILLWAY_ERR_DEMO_FAILED',
  labNotRunning: 'SPILLWAY_ERR_LAB_NOT_RUNNING',
  labTargetInvalid: 'SPILLWAY_ERR_LAB_TARGET_INVALID',
  labAgentUnreachable: 'SPILLWAY_ERR_LAB_AGENT_UNREACHABLE',
  labPrometheusFailed: 'SPILLWAY_ERR_LAB_PROMETHEUS_FAILED',
  explainUsage: 'SPILLWAY_ERR_EXPLAIN_USAGE',
  explainPodNotFound: 'SPILLWAY_ERR_EXPLAIN_POD_NOT_FOUND',
  explainNoSidecar: 'SPILLWAY_ERR_EXPLAIN_NO_SIDECAR',
  explainAdminUnreachable: 'SPILLWAY_ERR_EXPLAIN_ADMIN_UNREACHABLE',
  explainServiceUnknown: 'SPILLWAY_ERR_EXPLAIN_SERVICE_UNKNOWN',
  explainPeerAnswerInvalid: 'SPILLWAY_ERR_EXPLAIN_PEER_ANSWER_INVALID',
} as const;
