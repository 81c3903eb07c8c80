import GridConsensus
import GridCrypto
import GridLedger

/// The checks every region entry passes, once when a member admits it into its pool and again when a checkpoint
/// that carries it is executed (a Byzantine leader could propose anything).
struct EntryChecks {
    let configuration: GlobalConfiguration
    let regions: [RegionID: RegionGenesis]
    let verifier: any SignatureVerifying

    init(configuration: GlobalConfiguration, verifier: any SignatureVerifying) {
        self.configuration = configuration
        self.regions = Dictionary(
            configuration.regions.map { ($0.region, $0) }, uniquingKeysWith: { first, _ in first })
        self.verifier = verifier
    }

    private var limits: CheckpointLimits { configuration.limits }

    /// Checks that need no signatures: known region, chain, the certificate names this header, outbox bounds and
    /// root. Hashing only, so they come first.
    func shape(_ entry: RegionCommitEntry, _ work: inout Work) -> EntryRejection? {
        func rejection(_ reason: EntryRejection.Reason) -> EntryRejection {
            EntryRejection(region: entry.region, height: entry.height, reason: reason)
        }
        guard regions[entry.region] != nil else { return rejection(.unknownRegion) }
        guard entry.header.chainID == configuration.chainID else { return rejection(.wrongChain(entry.header.chainID)) }
        let data = entry.certificate.data
        guard data.blockHash == entry.blockHash, data.height == entry.height, data.region == entry.region,
            data.chainID == entry.header.chainID
        else { return rejection(.certificateForAnotherBlock) }
        guard entry.outbox.count <= limits.outboxMessagesPerEntryMax else {
            return rejection(.oversizedOutbox(count: entry.outbox.count))
        }
        // Four bytes are the payload's own entry count.
        guard entry.wireBytes + 4 <= limits.bytesMax else { return rejection(.oversizedEntry(bytes: entry.wireBytes)) }
        work.hashedBytes += BlockHeader.encodedBytes + entry.outbox.reduce(0) { $0 + 64 + $1.payload.count }
        guard RegionCommitEntry.outboxRoot(of: entry.outbox) == entry.header.outboxRoot else {
            return rejection(.outboxMismatch)
        }
        return nil
    }

    /// Checks the certificate's votes against the region's genesis keys (not against anything the entry brings).
    func certificate(_ entry: RegionCommitEntry, _ work: inout Work) -> EntryRejection? {
        guard let genesis = regions[entry.region] else {
            return EntryRejection(region: entry.region, height: entry.height, reason: .unknownRegion)
        }
        let failure = GlobalApplication.verify(
            entry.certificate, chainID: configuration.chainID, genesis: genesis, verifier: verifier, &work)
        if let failure {
            return EntryRejection(region: entry.region, height: entry.height, reason: .badCertificate(failure))
        }
        return nil
    }
}
