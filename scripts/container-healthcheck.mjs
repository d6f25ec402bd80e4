// The image's HEALTHCHECK: is the service named by SERVICE answering /healthz on its port?
// Plain JavaScript, so a check every few seconds costs no TypeScript loader.
const defaultPorts = {
  'ingest-12345': 8101,
  'ingest-wechat': 8102,
  'ingest-courts': 8103,
  routing: 8104,
  cases: 8105,
  notify: 8106,
};
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by the image (ARG SERVICE), not an input of any build task
const service = process.env.SERVICE ?? '';
const port = process.env[`${service.toUpperCase().replaceAll('-', '_')}_PORT`] || defaultPorts[service];
try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
