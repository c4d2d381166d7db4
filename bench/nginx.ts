// The nginx the benchmark measures behind: one auth_request location per target, as deploy/nginx does.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { freePort } from '../tests/support/ports';

/** `/<name>/…` is protected by an auth sub-request to `uri` on the upstream `upstream`. */
export interface AuthLocation {
  name: string;
  upstream: string;
  uri: string;
}

export interface BenchNginx {
  url: string;
  child: ChildProcess;
}

export async function startBenchNginx(work: string, upstreams: Record<string, number[]>, locations: AuthLocation[]): Promise<BenchNginx> {
  const prefix = path.join(work, 'nginx');
  mkdirSync(path.join(prefix, 'www'), { recursive: true });
  mkdirSync(path.join(prefix, 'temp'), { recursive: true });
  writeFileSync(path.join(prefix, 'www/ok.json'), '{"ok":true}\n');
  // nginx workers started by root run as nobody: they must be able to read the static file.
  for (const dir of [work, prefix, path.join(prefix, 'www')]) chmodSync(dir, 0o755);
  const port = await freePort();
  const authLocation = ({ name, upstream, uri }: AuthLocation) => `
    location = /_auth_${name} {
      internal;
      proxy_pass http://${upstream}${uri};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
    location /${name}/ {
      auth_request /_auth_${name};
      auth_request_set $auth_jwt $upstream_http_authorization;
      add_header X-Has-Jwt $auth_jwt;
      try_files /ok.json =404;
    }`;
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${prefix}/temp/${t};`).join('\n  ');
  const config = `
worker_processes ${availableParallelism()};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  ${temp}
  ${Object.entries(upstreams)
    .map(([name, ports]) => `upstream ${name} { ${ports.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 128; }`)
    .join('\n  ')}
  server {
    listen 127.0.0.1:${port} reuseport;
    root ${prefix}/www;
    ${locations.map(authLocation).join('\n')}
  }
}`;
  writeFileSync(path.join(prefix, 'nginx.conf'), config);
  const child = spawn('/usr/sbin/nginx', ['-c', path.join(prefix, 'nginx.conf'), '-p', prefix, '-g', 'daemon off;'], { stdio: 'inherit' });
  const first = locations[0]?.name ?? 'none';
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/${first}/x`).then(
      () => true,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `http://127.0.0.1:${port}`, child };
}
