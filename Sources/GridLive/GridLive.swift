// GridLive: the node layer (`NodeHost`) run as a process, with real sockets and wall-clock time.
//
// - `LiveNode` (a ServiceLifecycle `Service`) owns one `NodeHost`, a `ConsensusThread` (the state machine's one
//   thread: bounded inbox, timer heap on monotonic deadlines), and a `Transport` on a small NIO event loop group.
// - One listener takes peers and clients. Every frame on the wire is a 4-byte big-endian length, then the
//   `WireCodec` frame; a length over `wireLimits.frameBytesMax` closes the connection (`LengthPrefixedFrameDecoder`).
// - Handshake (`ConnectionHandler`): both sides send `hello`; each answers the other's with a `helloProof`. A
//   connection counts as from peer P once P's proof verifies and its key is P's genesis key. Clients say `hello`
//   as `.client`, prove nothing, and may only send `submit`; they receive the node's `hello` and `helloProof`
//   before their replies.
// - Each node dials every peer and only sends on that connection (`OutboundPeer`: reconnect with back-off, the
//   link model's loss, latency, jitter and bandwidth with FIFO per link, a bounded queue); what a peer sends
//   arrives on the connection it dialed.
// - Faults: `LiveNode.setPartition(cutOff:)`, `setExtraLoss(rate:)`, or JSON lines in `controlFile`
//   (`LiveControlCommand`).
// - Figures: `LiveNodeMetrics` (Codable; `metricsFile` every second and at shutdown; Prometheus text at
//   `GET /metrics` on `metricsPort`).
