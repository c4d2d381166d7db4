// Every YAML file under deploy/ is parsed; the Kubernetes objects that run Auth-O-Tron are checked
// against the app itself: probe and scrape paths are asked of a running server, config keys go
// through the config loader (configSchema), ports and names against the Dockerfile and each other.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@/lib/config/load';
import { AUTHENTICATE_PATHS } from '@/lib/gateway/routes';
import { startApp, type RunningApp } from '../support/app';
import { envOf, readDockerfile, ROOT } from '../support/dockerfile';

type Tree = Record<string, unknown>;
interface K8sObject {
  file: string;
  apiVersion: string;
  kind: string;
  name: string;
  body: Tree;
}

const APP_LABEL = { 'app.kubernetes.io/name': 'auth-o-tron' };
const imageEnv = envOf(readDockerfile().stages.at(-1)!);

const obj = (value: unknown): Tree => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Tree) : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const at = (value: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((node, key) => obj(node)[key], value);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(entry.name) ? [full] : [];
  });
}

// Kubernetes objects only: deploy/envoy and deploy/traefik hold those proxies' own configs (tests/unit/deploy-configs.test.ts).
const files = yamlFiles(path.join(ROOT, 'deploy')).filter((file) => !/deploy\/(envoy|traefik)\//.test(file));
const objects: K8sObject[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(file, 'utf8')).flatMap((doc) => {
    if (!('errors' in doc)) return [];
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    const body = obj(doc.toJS());
    if (Object.keys(body).length === 0) return []; // an empty document (a trailing ---)
    return [{ file: path.relative(ROOT, file), apiVersion: String(body.apiVersion), kind: String(body.kind), name: String(at(body, 'metadata', 'name')), body }];
  }),
);
const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
const selects = (selector: unknown, labels: unknown) => Object.entries(obj(selector)).every(([k, v]) => obj(labels)[k] === v);

// Auth-O-Tron's own objects: whatever else deploy/ holds (an ingress controller's, a backend's) is only parsed.
const deployments = ofKind('Deployment').filter((d) => selects(APP_LABEL, at(d.body, 'spec', 'template', 'metadata', 'labels')));
const deployment = deployments[0]!;
const podSpec = obj(at(deployment?.body, 'spec', 'template', 'spec'));
const container = obj(list(podSpec.containers)[0]);
const podLabels = at(deployment?.body, 'spec', 'template', 'metadata', 'labels');
const services = ofKind('Service').filter((s) => selects(at(s.body, 'spec', 'selector'), podLabels));
const configMaps = new Map(ofKind('ConfigMap').map((c) => [c.name, c]));
const secrets = new Map(ofKind('Secret').map((s) => [s.name, s]));

interface HttpGet {
  path: string;
  port: unknown;
}
const probe = (name: string): HttpGet => obj(at(container, name, 'httpGet')) as unknown as HttpGet;
const containerPorts = list(container.ports).map(obj);
/** A probe's or Service's port: a name or number the container declares. */
const containerPort = (port: unknown) => containerPorts.find((p) => p.name === port || p.containerPort === port);

/** Environment the container gets: literal values, and secretKeyRefs resolved from the Secrets here. */
function containerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of list(container.env).map(obj)) {
    const ref = obj(at(entry, 'valueFrom', 'secretKeyRef'));
    if (entry.value !== undefined) env[String(entry.name)] = String(entry.value);
    else if (ref.name !== undefined) env[String(entry.name)] = String(obj(at(secrets.get(String(ref.name))?.body, 'stringData'))[String(ref.key)]);
  }
  return env;
}

/** The config.yaml the Deployment mounts where the image's AOT_CONFIG_PATH points. */
function mountedConfig(): { text: string; configMap: string } {
  const configDir = path.posix.dirname(imageEnv.AOT_CONFIG_PATH!);
  const mount = list(container.volumeMounts)
    .map(obj)
    .find((m) => m.mountPath === configDir);
  expect(mount, `a volume mounted at ${configDir}`).toBeDefined();
  const volume = list(podSpec.volumes)
    .map(obj)
    .find((v) => v.name === mount!.name);
  const configMap = String(at(volume, 'configMap', 'name'));
  const text = obj(at(configMaps.get(configMap)?.body, 'data'))[path.posix.basename(imageEnv.AOT_CONFIG_PATH!)];
  expect(typeof text, `${configMap} has ${path.posix.basename(imageEnv.AOT_CONFIG_PATH!)}`).toBe('string');
  return { text: String(text), configMap };
}

describe('every YAML file under deploy/', () => {
  it('parses (all documents) and each is a Kubernetes object with apiVersion, kind and a name', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const o of objects) {
      expect(o.apiVersion, o.file).not.toBe('undefined');
      expect(o.kind, o.file).not.toBe('undefined');
      expect(o.name, `${o.file} ${o.kind}`).not.toBe('undefined');
    }
  });

  it('ships a Deployment, Service, PodDisruptionBudget, ServiceMonitor, ConfigMap and Secret for the app', () => {
    expect(deployments).toHaveLength(1);
    expect(services.length).toBeGreaterThan(0);
    for (const kind of ['PodDisruptionBudget', 'ServiceMonitor', 'ConfigMap', 'Secret']) expect(ofKind(kind).length, kind).toBeGreaterThan(0);
  });
});

describe('the Deployment', () => {
  it('runs 2 replicas and never goes below them during a rollout', () => {
    expect(at(deployment.body, 'spec', 'replicas')).toBe(2);
    expect(at(deployment.body, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable')).toBe(0);
    expect(selects(at(deployment.body, 'spec', 'selector', 'matchLabels'), podLabels)).toBe(true);
  });

  it("exposes the image's port, probes readiness on /api/ready and liveness on /api/health", () => {
    expect(containerPorts.map((p) => p.containerPort)).toEqual([Number(imageEnv.AOT_SERVER__PORT)]);
    expect(probe('readinessProbe').path).toBe('/api/ready');
    expect(probe('livenessProbe').path).toBe('/api/health');
    for (const name of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      if (container[name] === undefined) continue;
      expect(containerPort(probe(name).port), `${name} port`).toBeDefined();
    }
  });

  it('lets the drain finish: terminationGracePeriodSeconds > preStop pause + server.shutdown_timeout', () => {
    const preStop = obj(at(container, 'lifecycle', 'preStop'));
    const command = list(at(preStop, 'exec', 'command')).map(String);
    const pause = command[0] === 'sleep' ? Number(command[1]) : Number(at(preStop, 'sleep', 'seconds'));
    expect(pause).toBeGreaterThan(0);
    const { config } = loadConfig({ ...imageEnv, ...containerEnv(), AOT_CONFIG_PATH: writeTemp(mountedConfig().text) });
    expect(Number(podSpec.terminationGracePeriodSeconds)).toBeGreaterThan(pause + config.server.shutdown_timeout);
  });

  it("runs as the image's non-root uid, read-only root filesystem with a writable /tmp", () => {
    const uid = Number(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').match(/^USER (\d+)/m)?.[1]);
    expect(at(podSpec, 'securityContext', 'runAsNonRoot')).toBe(true);
    expect(at(podSpec, 'securityContext', 'runAsUser')).toBe(uid);
    expect(at(container, 'securityContext', 'readOnlyRootFilesystem')).toBe(true);
    expect(list(container.volumeMounts).map((m) => at(m, 'mountPath'))).toContain('/tmp');
  });

  it('takes DATABASE_URL from a Secret defined here, and every secret reference resolves', () => {
    const env = list(container.env).map(obj);
    const databaseUrl = env.find((e) => e.name === 'DATABASE_URL');
    expect(at(databaseUrl, 'valueFrom', 'secretKeyRef', 'name')).toBeDefined();
    for (const entry of env) {
      const ref = obj(at(entry, 'valueFrom', 'secretKeyRef'));
      if (ref.name === undefined) continue;
      const secret = secrets.get(String(ref.name));
      expect(secret, `Secret ${String(ref.name)}`).toBeDefined();
      expect(Object.keys(obj(at(secret!.body, 'stringData'))), `${String(ref.name)} key`).toContain(ref.key);
    }
    expect(containerEnv().DATABASE_URL).toMatch(/^postgres(ql)?:\/\//);
  });

  it('mounts a ConfigMap whose config.yaml passes the config schema with the env the pod gets', () => {
    const { text } = mountedConfig();
    // configSchema.safeParse via the loader: bad values fail; unknown keys and AOT_ variables that
    // name no key are warnings (strict_config would refuse them), so there must be none.
    const { config, warnings } = loadConfig({ ...imageEnv, ...containerEnv(), AOT_CONFIG_PATH: writeTemp(text), HOSTNAME: 'auth-o-tron-5d8c7-abcde' });
    expect(warnings).toEqual([]);
    expect(loadConfig({ ...imageEnv, ...containerEnv(), AOT_CONFIG_PATH: writeTemp(text), AOT_SERVER__STRICT_CONFIG: 'true' }).config.server.strict_config).toBe(true);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.server.port).toBe(Number(imageEnv.AOT_SERVER__PORT));
    expect(config.database.url).toBe(containerEnv().DATABASE_URL);
    expect(config.portal?.oidc?.client_secret).toBe(containerEnv().AOT_PORTAL__OIDC__CLIENT_SECRET);
  });
});

describe('the Service, PodDisruptionBudget and ServiceMonitor', () => {
  it("Service ports lead to the container's port", () => {
    for (const service of services) {
      for (const port of list(at(service.body, 'spec', 'ports')).map(obj)) expect(containerPort(port.targetPort ?? port.port), `${service.name} ${String(port.name)}`).toBeDefined();
    }
  });

  it('the PodDisruptionBudget selects the pods and still allows one eviction', () => {
    const pdbs = ofKind('PodDisruptionBudget').filter((p) => selects(at(p.body, 'spec', 'selector', 'matchLabels'), podLabels));
    expect(pdbs).toHaveLength(1);
    const spec = obj(pdbs[0]!.body.spec);
    if (spec.minAvailable !== undefined) expect(Number(spec.minAvailable)).toBeLessThan(Number(at(deployment.body, 'spec', 'replicas')));
    else expect(Number(spec.maxUnavailable)).toBeGreaterThanOrEqual(1);
  });

  it('the ServiceMonitor scrapes a named port of the Service', () => {
    const monitors = ofKind('ServiceMonitor');
    for (const monitor of monitors) {
      const service = services.find((s) => selects(at(monitor.body, 'spec', 'selector', 'matchLabels'), at(s.body, 'metadata', 'labels')));
      expect(service, `${monitor.name} selects a Service of the app`).toBeDefined();
      const names = list(at(service!.body, 'spec', 'ports')).map((p) => at(p, 'name'));
      for (const endpoint of list(at(monitor.body, 'spec', 'endpoints'))) expect(names).toContain(at(endpoint, 'port'));
    }
  });

  it("an Ingress's backends and auth-url (ingress-nginx) that name the app's Service use its ports and the gateway's path", () => {
    for (const ingress of ofKind('Ingress')) {
      const backends = list(at(ingress.body, 'spec', 'rules')).flatMap((rule) => list(at(rule, 'http', 'paths')).map((p) => obj(at(p, 'backend', 'service'))));
      for (const backend of backends) {
        const service = services.find((s) => s.name === backend.name);
        if (!service) continue;
        const port = obj(backend.port);
        expect(
          list(at(service.body, 'spec', 'ports')).some((p) => at(p, 'name') === port.name || at(p, 'port') === port.number),
          `${ingress.file}: port of ${service.name}`,
        ).toBe(true);
      }
      const authUrl = obj(at(ingress.body, 'metadata', 'annotations'))['nginx.ingress.kubernetes.io/auth-url'];
      if (typeof authUrl !== 'string' || !URL.canParse(authUrl)) continue;
      const url = new URL(authUrl);
      const service = services.find((s) => url.hostname === s.name || url.hostname.startsWith(`${s.name}.`));
      if (service) expect([...AUTHENTICATE_PATHS], `${ingress.file}: auth-url path`).toContain(url.pathname);
    }
  });
});

describe("the paths the manifests probe and scrape, asked of the app running the ConfigMap's config", () => {
  let app: RunningApp;
  beforeAll(async () => {
    const env = containerEnv();
    delete env.DATABASE_URL; // the example Secret's placeholder: the test's own Postgres instead
    app = await startApp({ config: mountedConfig().text, database: 'postgres', env });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const paths = () => {
    const probes = ['readinessProbe', 'livenessProbe', 'startupProbe'].filter((n) => container[n] !== undefined).map((n) => probe(n).path);
    const scrapes = ofKind('ServiceMonitor').flatMap((m) => list(at(m.body, 'spec', 'endpoints')).map((e) => String(at(e, 'path') ?? '/metrics')));
    return [...new Set([...probes, ...scrapes])];
  };

  it('every one answers 200', async () => {
    expect(paths()).toEqual(expect.arrayContaining(['/api/ready', '/api/health', '/api/metrics']));
    for (const p of paths()) expect((await fetch(`${app.url}${p}`)).status, p).toBe(200);
  });

  it("the scrape path serves Prometheus text with auth-o-tron's metric names", async () => {
    for (const p of ofKind('ServiceMonitor').flatMap((m) => list(at(m.body, 'spec', 'endpoints')).map((e) => String(at(e, 'path'))))) {
      const response = await fetch(`${app.url}${p}`);
      expect(response.headers.get('content-type')).toContain('text/plain');
      expect(await response.text()).toMatch(/^# HELP authotron_/m);
    }
  });
});

const temps: string[] = [];
function writeTemp(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'aot-deploy-'));
  temps.push(dir);
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
