/** The OTLP settings from a flag and the standard OTEL environment variables (pure), and the config's export section. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseProjectConfig } from "../../src/config/index.ts";
import { isGaitError } from "../../src/contract/errors.ts";
import { parseKeyValues, resolveOtlpSettings } from "../../src/export/index.ts";

describe("resolveOtlpSettings", () => {
  it("is off without a flag or an endpoint variable", () => {
    assert.equal(resolveOtlpSettings({}, {}), undefined);
    assert.equal(resolveOtlpSettings({}, { OTEL_SERVICE_NAME: "x" }), undefined);
    assert.equal(
      resolveOtlpSettings({}, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" }),
      undefined,
    );
  });

  it("appends the signal paths to a base URL; the flag wins over the environment", () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" };
    const fromEnv = resolveOtlpSettings({}, env)!;
    assert.equal(fromEnv.tracesUrl, "http://collector:4318/v1/traces");
    assert.equal(fromEnv.metricsUrl, "http://collector:4318/v1/metrics");
    const fromFlag = resolveOtlpSettings({ endpoint: "https://otel.example.com/base" }, env)!;
    assert.equal(fromFlag.tracesUrl, "https://otel.example.com/base/v1/traces");
  });

  it("takes per-signal endpoints as given, and sends only the signals that have one", () => {
    const only = resolveOtlpSettings({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t:4318/custom" })!;
    assert.equal(only.tracesUrl, "http://t:4318/custom");
    assert.equal(only.metricsUrl, undefined);
  });

  it("merges headers (signal over general), reads timeouts, service name, resource attributes", () => {
    const settings = resolveOtlpSettings(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
        OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20a,x-tenant=acme",
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: "authorization=Bearer%20t",
        OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: "1500",
        OTEL_RESOURCE_ATTRIBUTES: "service.name=from-resource,deployment.environment=prod",
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      },
    )!;
    assert.deepEqual(settings.tracesHeaders, { authorization: "Bearer t", "x-tenant": "acme" });
    assert.deepEqual(settings.metricsHeaders, { authorization: "Bearer a", "x-tenant": "acme" });
    assert.equal(settings.metricsTimeoutMs, 1500);
    assert.equal(settings.tracesTimeoutMs, 10_000);
    assert.equal(settings.serviceName, "from-resource");
    assert.equal(settings.resourceAttributes["deployment.environment"], "prod");
    assert.equal(settings.warnings.length, 2, "grpc is not sent: one warning per signal");
  });

  it("refuses a non-http URL, bad headers and bad numbers with coded errors that never echo header values", () => {
    assert.throws(() => resolveOtlpSettings({ endpoint: "ftp://x" }, {}), {
      code: "export_endpoint_invalid",
    });
    assert.throws(() => resolveOtlpSettings({ endpoint: "not a url" }, {}), {
      code: "export_endpoint_invalid",
    });
    const secret = "s3cr%ZZet";
    assert.throws(
      () =>
        resolveOtlpSettings(
          { endpoint: "http://c" },
          { OTEL_EXPORTER_OTLP_HEADERS: `authorization=${secret}` },
        ),
      (error: unknown) =>
        isGaitError(error) && error.code === "export_headers_invalid" && !error.message.includes(secret),
    );
    assert.throws(() => resolveOtlpSettings({ endpoint: "http://c" }, { OTEL_BSP_SCHEDULE_DELAY: "-1" }), {
      code: "usage",
    });
  });

  it("parses any key=value list it wrote, and gives a coded error (never a crash) for anything else", () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9._-]{0,10}$/);
    fc.assert(
      fc.property(fc.dictionary(key, fc.string()), (pairs) => {
        const text = Object.entries(pairs)
          .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
          .join(",");
        assert.deepEqual(parseKeyValues(text, "X"), Object.fromEntries(Object.entries(pairs)));
      }),
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseKeyValues(text, "X");
        } catch (error) {
          assert.ok(isGaitError(error) && error.code === "export_headers_invalid", String(error));
        }
      }),
    );
  });
});

describe(".gait/config.yaml export section", () => {
  it("reads export.otlp_endpoint and export.log_out, and refuses a non-http endpoint", () => {
    const config = parseProjectConfig(
      "export:\n  otlp_endpoint: http://127.0.0.1:4318\n  log_out: gait-out/decisions.jsonl\n",
      "config.yaml",
    );
    assert.deepEqual(config.export, {
      otlpEndpoint: "http://127.0.0.1:4318",
      logOut: "gait-out/decisions.jsonl",
    });
    assert.throws(
      () => parseProjectConfig("export:\n  otlp_endpoint: localhost:4318\n", "config.yaml"),
      (error: unknown) => isGaitError(error),
    );
    assert.throws(
      () => parseProjectConfig("export:\n  endpoint: x\n", "config.yaml"),
      (error: unknown) => isGaitError(error),
    );
  });
});
