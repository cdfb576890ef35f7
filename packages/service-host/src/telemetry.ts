/**
 * Exports traces (HTTP, PostgreSQL, event handling spans) and metrics to Azure Monitor when an
 * Application Insights connection string is configured; otherwise tracing stays a no-op and the
 * exporter is never loaded. Call it before the app is built. Trace context travels inside events
 * (`traceparent`). The Azure Monitor distro targets Node 22 (the container images' runtime).
 */
export async function startTelemetry(service: string, connectionString: string | undefined): Promise<boolean> {
  if (!connectionString) return false;
  process.env.OTEL_SERVICE_NAME ??= service;
  const { useAzureMonitor } = await import('@azure/monitor-opentelemetry');
  useAzureMonitor({
    azureMonitorExporterOptions: { connectionString },
    enableLiveMetrics: false,
    instrumentationOptions: { http: { enabled: true }, postgreSql: { enabled: true } },
  });
  return true;
}
