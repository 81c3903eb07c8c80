import GridCrypto
import GridLedger
import GridNode
import GridTopology
import GridWire
import Logging

/// Another node of the deployment: where to dial it and the genesis key it must prove it holds.
public struct LivePeer: Sendable {
    public var address: NodeAddress
    public var host: String
    public var port: Int
    public var publicKey: PublicKey

    public init(address: NodeAddress, host: String, port: Int, publicKey: PublicKey) {
        self.address = address
        self.host = host
        self.port = port
        self.publicKey = publicKey
    }
}

/// Everything a live node process needs besides its `NodeHost`. Every bound is explicit and named with its unit.
public struct LiveNodeOptions: Sendable {
    public var chainID: ChainID
    /// This node's genesis key: it proves the node's identity in the handshake.
    public var key: KeyPair
    public var listenHost: String
    /// 0 binds an ephemeral port; `LiveNode.boundPort` tells which.
    public var listenPort: Int
    /// Every other node of the deployment (validators of all regions, committee members), with genesis keys.
    public var peers: [LivePeer]
    /// The link model for frames this node sends to that peer, applied in the transport (the kernel here has no
    /// netem): latency, jitter, bandwidth and loss.
    public var link: @Sendable (NodeAddress) -> Topology.Link
    /// `frameBytesMax` is also the largest length prefix the framing accepts.
    public var wireLimits: WireLimits
    /// Inputs waiting for the consensus thread, per queue (consensus frames; everything else). Over it a client
    /// submission is answered `.busy` and a peer frame is dropped and counted.
    public var inboxEventsMax: Int
    /// Bytes of frames and submissions waiting in the inbox, per queue: frames may be up to `frameBytesMax` each,
    /// so a count alone does not bound memory. Over it, as over `inboxEventsMax`. At least `frameBytesMax`.
    public var inboxBytesMax: Int
    /// Client submissions waiting for the consensus thread. Over it a submission is answered `.busy` at once: about
    /// a block's worth, so a transaction a node takes waits at most about one block for its turn.
    public var clientInboxEventsMax: Int
    /// Port of the Prometheus text endpoint (`GET /metrics`) on `listenHost`; nil for none, 0 for an ephemeral one.
    public var metricsPort: Int?
    /// Where the metrics are written as JSON: every second, and at a clean shutdown.
    public var metricsFile: String?
    /// A file of JSON lines the node polls every `controlPollMillis` for transport faults (see `LiveControlCommand`).
    public var controlFile: String?
    public var logger: Logger

    /// Frames waiting to go to one peer (held by the link model or in the socket's write buffer).
    public var outgoingFramesMax: Int
    /// Bytes of those frames.
    public var outgoingBytesMax: Int
    /// Client submissions the node is working on, across all client connections.
    public var pendingRepliesMax: Int
    /// First back-off after a failed dial or a dropped connection; it doubles up to `reconnectDelayMillisMax`.
    public var reconnectDelayMillisMin: Int64
    public var reconnectDelayMillisMax: Int64
    /// A connection that has not finished its handshake by then is closed and counted.
    public var handshakeTimeoutMillis: Int64
    /// How long `.start` waits for outbound connections to every peer before the node starts anyway: frames sent
    /// before a peer is connected are dropped, which costs a view timeout at start.
    public var startWaitMillisMax: Int64
    public var controlPollMillis: Int64
    /// How often `metricsFile` is rewritten while the node runs, so a killed node leaves recent figures.
    public var metricsFileIntervalMillis: Int64
    /// Event loop threads for all sockets; the consensus thread is apart.
    public var eventLoopThreads: Int
    /// The meter of the node's signature verifier, read into the metrics (`verifications`,
    /// `verificationCPUSeconds`); nil leaves them out.
    public var verificationMeter: VerificationMeter?

    public init(
        chainID: ChainID, key: KeyPair, listenHost: String = "127.0.0.1", listenPort: Int, peers: [LivePeer],
        link: @escaping @Sendable (NodeAddress) -> Topology.Link = { _ in
            Topology.Link(latencyMillis: 0, jitterMillis: 0, bandwidthMbps: 0)
        },
        wireLimits: WireLimits = .standard, inboxEventsMax: Int = 10_000, metricsPort: Int? = nil,
        metricsFile: String? = nil, controlFile: String? = nil, logger: Logger = Logger(label: "gridledger.live")
    ) {
        self.chainID = chainID
        self.key = key
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.peers = peers
        self.link = link
        self.wireLimits = wireLimits
        self.inboxEventsMax = inboxEventsMax
        self.metricsPort = metricsPort
        self.metricsFile = metricsFile
        self.controlFile = controlFile
        self.logger = logger
        inboxBytesMax = 256 << 20
        clientInboxEventsMax = 2_000
        outgoingFramesMax = 10_000
        outgoingBytesMax = 64 << 20
        pendingRepliesMax = 100_000
        reconnectDelayMillisMin = 50
        reconnectDelayMillisMax = 1_000
        handshakeTimeoutMillis = 5_000
        startWaitMillisMax = 1_000
        controlPollMillis = 100
        metricsFileIntervalMillis = 1_000
        eventLoopThreads = 2
    }
}

extension NodeAddress {
    /// The identity this address claims in a handshake.
    public var identity: NodeIdentity {
        switch self {
        case .validator(let region, let index): return .validator(region: RegionID(region), index: UInt16(index))
        case .member(let index): return .member(index: UInt16(index))
        }
    }

    /// Nil for a client, which has no address.
    public init?(identity: NodeIdentity) {
        switch identity {
        case .validator(let region, let index): self = .validator(region: Int(region), index: Int(index))
        case .member(let index): self = .member(Int(index))
        case .client: return nil
        }
    }

    /// Parses `description` back: `r<region>/v<index>` or `global/v<index>`.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].hasPrefix("v"), let index = Int(parts[1].dropFirst()), index >= 0 else {
            return nil
        }
        if parts[0] == "global" {
            self = .member(index)
        } else if parts[0].hasPrefix("r"), let region = Int(parts[0].dropFirst()), region >= 0 {
            self = .validator(region: region, index: index)
        } else {
            return nil
        }
    }
}
