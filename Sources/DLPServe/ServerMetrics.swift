// ServerMetrics.swift: the server's measurements through swift-metrics, collected by a Prometheus
// registry of this server's own (no global bootstrap, so several servers can live in one process) and
// served at GET /metrics in Prometheus' text format: requests by model and outcome, prompt and generated
// tokens by model, time to first token and inter-token latency histograms by model, queue depth,
// running sequences, KV slots in use, and HTTP responses by route and status.
import CoreMetrics
import DLPLoRA
import Foundation
import Metrics
import Prometheus

final class ServerMetrics: SchedulerMetrics, @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let queueDepth: CoreMetrics.Gauge
    private let runningSequences: CoreMetrics.Gauge
    private let slotsInUse: CoreMetrics.Gauge

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let latency: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
                                   .milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(500), .seconds(1),
                                   .seconds(2), .seconds(5), .seconds(10), .seconds(30)]
        factory.defaultDurationHistogramBuckets = latency
        self.factory = factory
        queueDepth = CoreMetrics.Gauge(label: "dlp_queue_depth", factory: factory)
        runningSequences = CoreMetrics.Gauge(label: "dlp_running_sequences", factory: factory)
        slotsInUse = CoreMetrics.Gauge(label: "dlp_kv_slots_in_use", factory: factory)
        occupancy(waiting: 0, running: 0, slotsInUse: 0)
    }

    func firstToken(label: String, seconds: Double) {
        CoreMetrics.Timer(label: "dlp_time_to_first_token_seconds", dimensions: [("model", label)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    func interToken(label: String, seconds: Double) {
        CoreMetrics.Timer(label: "dlp_inter_token_latency_seconds", dimensions: [("model", label)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    func ended(label: String, outcome: String, promptTokens: Int, generatedTokens: Int) {
        CoreMetrics.Counter(label: "dlp_requests_total", dimensions: [("model", label), ("outcome", outcome)], factory: factory).increment()
        CoreMetrics.Counter(label: "dlp_prompt_tokens_total", dimensions: [("model", label)], factory: factory).increment(by: promptTokens)
        CoreMetrics.Counter(label: "dlp_generated_tokens_total", dimensions: [("model", label)], factory: factory).increment(by: generatedTokens)
    }

    func occupancy(waiting: Int, running: Int, slotsInUse: Int) {
        queueDepth.record(waiting)
        runningSequences.record(running)
        self.slotsInUse.record(slotsInUse)
    }

    /// An HTTP response of `route` with `status`.
    func response(route: String, status: Int) {
        CoreMetrics.Counter(label: "dlp_http_responses_total", dimensions: [("route", route), ("status", String(status))], factory: factory).increment()
    }

    /// Everything in Prometheus' text exposition format.
    func exposition() -> String { registry.emitToString() }
}
