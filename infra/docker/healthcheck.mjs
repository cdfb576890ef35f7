// Docker HEALTHCHECK: GET /health/live on this container's port (no curl in the slim image).
// PORT wins; otherwise the service's default port. Kubernetes ignores this and uses its own probes.
const DEFAULT_PORTS = {
  'message-service': 7071,
  'image-service': 7072,
  'payment-service': 7073,
  'maintenance-service': 7074,
};
const port = Number(process.env.PORT || DEFAULT_PORTS[process.env.SERVICE_NAME] || 7071);
try {
  const response = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(2500) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
