import NIOCore
import NIOPosix
import Prometheus
import Synchronization

/// `LiveNodeMetrics` in Prometheus form: each figure is a counter or gauge created once, brought up to date from
/// a snapshot at each scrape (counters by the increase since the previous scrape).
final class PrometheusExport: Sendable {
    let registry = PrometheusCollectorRegistry()
    private struct State {
        var counters: [String: (counter: Counter, value: Int64)] = [:]
        var gauges: [String: Gauge] = [:]
    }

    private let state = Mutex(State())

    /// Units are in the names already (`_bytes`, `_seconds`, `_total`); the fields are documented on
    /// `LiveNodeMetrics`.
    private static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: "GridLedger live node: see LiveNodeMetrics")
    }

    func render(_ metrics: LiveNodeMetrics) -> [UInt8] {
        state.withLock { state in
            func counter(_ name: String, _ value: UInt64, _ labels: [(String, String)] = []) {
                let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
                let entry =
                    state.counters[key]
                    ?? (registry.makeCounter(descriptor: Self.descriptor(name), labels: labels), 0)
                let current = Int64(clamping: value)
                if current > entry.value { entry.counter.increment(by: current - entry.value) }
                state.counters[key] = (entry.counter, max(current, entry.value))
            }
            func gauge(_ name: String, _ value: Double) {
                let entry = state.gauges[name] ?? registry.makeGauge(descriptor: Self.descriptor(name))
                entry.set(value)
                state.gauges[name] = entry
            }
            counter("gridlive_committed_blocks_total", metrics.committedBlocks)
            counter("gridlive_committed_transactions_total", metrics.committedTransactions)
            counter("gridlive_checkpoints_committed_total", metrics.checkpointsCommitted)
            counter("gridlive_round_changes_total", metrics.roundChanges)
            counter("gridlive_view_changes_total", metrics.viewChanges)
            counter("gridlive_entry_rejections_total", metrics.entryRejections)
            counter("gridlive_client_submissions_total", metrics.clientSubmissions)
            counter("gridlive_client_replies_undeliverable_total", metrics.clientRepliesUndeliverable)
            counter("gridlive_sent_bytes_total", metrics.bytesSent)
            counter("gridlive_sent_frames_total", metrics.framesSent)
            counter("gridlive_received_bytes_total", metrics.bytesReceived)
            counter("gridlive_received_frames_total", metrics.framesReceived)
            counter("gridlive_connections_accepted_total", metrics.connectionsAccepted)
            counter("gridlive_peer_handshakes_total", metrics.peerHandshakesCompleted)
            counter("gridlive_dial_failures_total", metrics.dialFailures)
            counter("gridlive_inputs_handled_total", metrics.inputsHandled)
            counter("gridlive_inbox_overflows_total", metrics.inboxOverflows)
            counter("gridlive_pending_replies_overflows_total", metrics.pendingRepliesOverflows)
            counter("gridlive_store_commits_total", metrics.storeCommits)
            counter("gridlive_store_syncs_total", metrics.storeSyncs)
            if let written = metrics.storeBytesWritten { counter("gridlive_store_written_bytes_total", written) }
            for (reason, count) in metrics.rejections {
                counter("gridlive_rejections_total", count, [("reason", reason)])
            }
            for (reason, count) in metrics.losses { counter("gridlive_losses_total", count, [("reason", reason)]) }
            for (kind, count) in metrics.clientReplies {
                counter("gridlive_client_replies_total", count, [("kind", kind)])
            }
            for (reason, count) in metrics.framesDropped {
                counter("gridlive_dropped_frames_total", count, [("reason", reason)])
            }
            for (reason, count) in metrics.handshakeRefusals {
                counter("gridlive_handshake_refusals_total", count, [("reason", reason)])
            }
            gauge("gridlive_committed_height", Double(metrics.committedHeight))
            gauge("gridlive_finalized_height", Double(metrics.finalizedHeight))
            gauge("gridlive_peers_connected", Double(metrics.peersConnected))
            gauge("gridlive_inbox_depth", Double(metrics.inboxDepth))
            gauge("gridlive_client_replies_pending", Double(metrics.clientRepliesPending))
            gauge("gridlive_inbox_depth_peak", Double(metrics.inboxDepthPeak))
            gauge("gridlive_mempool_transactions", Double(metrics.mempoolTransactions))
            gauge("gridlive_process_cpu_seconds", metrics.cpuSeconds)
            gauge("gridlive_process_resident_bytes", Double(metrics.residentBytes))
            gauge("gridlive_uptime_seconds", metrics.uptimeSeconds)
        }
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return bytes
    }
}

/// A minimal HTTP/1.1 responder: `GET /metrics` answers the Prometheus text, anything else 404; one request per
/// connection, then close. Enough for a scraper, and no HTTP dependency.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    /// A request head larger than this is not a scrape.
    static let requestHeadBytesMax = 8 << 10

    private var request: [UInt8] = []
    private var answered = false
    private let render: @Sendable () -> [UInt8]

    init(render: @escaping @Sendable () -> [UInt8]) { self.render = render }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        var buffer = unwrapInboundIn(data)
        request += buffer.readBytes(length: buffer.readableBytes) ?? []
        let headEnd: [UInt8] = Array("\r\n\r\n".utf8)
        let complete =
            request.count >= 4 && (0...(request.count - 4)).contains { request[$0..<($0 + 4)].elementsEqual(headEnd) }
        guard complete || request.count > Self.requestHeadBytesMax else { return }
        answered = true
        let line = request.split(separator: UInt8(ascii: "\r"), maxSplits: 1).first.map { Array($0) } ?? []
        let parts = line.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        let isScrape =
            parts.count >= 2 && parts[0] == "GET" && (parts[1] == "/metrics" || parts[1].hasPrefix("/metrics?"))
        let body = isScrape ? render() : Array("not found\n".utf8)
        let status = isScrape ? "200 OK" : "404 Not Found"
        let type = isScrape ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain"
        let head =
            "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var out = context.channel.allocator.buffer(capacity: head.utf8.count + body.count)
        out.writeString(head)
        out.writeBytes(body)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in loopBound.value.close(promise: nil) }
    }
}
