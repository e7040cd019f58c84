/**
 * Configuration files for the anchors run beside Spillway: the nginx backend every target talks to,
 * nginx and HAProxy as reverse proxies with one worker and upstream keep-alive
 * (/work/shared/design/performance-anchors.md §6, setup A).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** The fixed 12-byte body of every backend (the size the anchors were calibrated with). */
export const RESPONSE_BODY = 'hello world\n';

/**
 * nginx-light defaults close a client or upstream connection after 1,000 requests; HAProxy and Node
 * have no such limit, so every nginx here lifts it to keep all targets on persistent connections.
 */
const KEEPALIVE_REQUESTS = 1_000_000;

function nginxPreamble(dir: string, name: string): string {
  const temp = join(dir, `${name}-temp`);
  mkdirSync(temp, { recursive: true });
  return `worker_processes 1;
master_process off;
daemon off;
pid ${join(dir, `${name}.pid`)};
error_log ${join(dir, `${name}-error.log`)} warn;
events { worker_connections 4096; }
`;
}

function nginxHttpCommon(dir: string, name: string): string {
  const temp = join(dir, `${name}-temp`);
  return `  access_log off;
  keepalive_requests ${KEEPALIVE_REQUESTS};
  keepalive_timeout 60s;
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
`;
}

/** nginx answering `200 hello world` itself: the backend of every throughput/latency target. */
export function nginxBackendConf(dir: string, listen: Endpoint): string {
  return `${nginxPreamble(dir, 'nginx-backend')}http {
${nginxHttpCommon(dir, 'nginx-backend')}  default_type text/plain;
  server {
    listen ${listen.host}:${listen.port};
    location / { return 200 ${JSON.stringify(RESPONSE_BODY)}; }
  }
}
`;
}

/** nginx as a reverse proxy: one worker, HTTP/1.1 upstream with an idle keep-alive pool of 64. */
export function nginxProxyConf(dir: string, listen: Endpoint, backend: Endpoint): string {
  return `${nginxPreamble(dir, 'nginx-proxy')}http {
${nginxHttpCommon(dir, 'nginx-proxy')}  upstream backend {
    server ${backend.host}:${backend.port};
    keepalive 64;
    keepalive_requests ${KEEPALIVE_REQUESTS};
  }
  server {
    listen ${listen.host}:${listen.port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** HAProxy as a reverse proxy: one thread, keep-alive on both sides, idle server connections shared. */
export function haproxyConf(listen: Endpoint, backend: Endpoint): string {
  return `global
  nbthread 1
  maxconn 4096

defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s

frontend bench
  bind ${listen.host}:${listen.port}
  default_backend backend

backend backend
  server backend1 ${backend.host}:${backend.port}
`;
}
