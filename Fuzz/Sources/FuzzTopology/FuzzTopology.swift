import Foundation
import FuzzSupport
import GridTopology

// Topology files: any bytes through the whole parser (size and UTF-8 checks, YAML, decoding, validation).
// Invariants: a refusal lists at least one error, at most `errorsMax` plus a summary line, each naming the file;
// an accepted topology passes `validate()` again, stays within `TopologyLimits`, and survives the JSON encoding a
// genesis file embeds it in (encode then decode gives an equal topology). Seeds: the shipped topologies
// (`scripts/fuzz.sh seeds` copies them).

private let file = "fuzz.yaml"

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked { [("default.yaml", Array(Topology.defaultYAML.utf8))] }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    let topology: Topology
    do {
        topology = try Topology.parse(data: Data(bytes), file: file)
    } catch {
        Fuzz.check(!error.errors.isEmpty, "refused with no error")
        Fuzz.check(error.errors.count <= TopologyLimits.errorsMax + 1, "\(error.errors.count) errors reported")
        Fuzz.check(error.errors.allSatisfy { $0.file == file }, "an error does not name the file")
        return 0
    }
    do { try topology.validate() } catch { Fuzz.check(false, "accepted, then refused by validate(): \(error)") }
    Fuzz.check(bytes.count <= TopologyLimits.fileBytesMax, "accepted a file over the size limit")
    Fuzz.check(!topology.regions.isEmpty, "accepted a topology without regions")
    Fuzz.check(topology.regions.count <= TopologyLimits.regionsMax, "accepted too many regions")
    Fuzz.check(topology.validatorCount <= TopologyLimits.validatorsTotalMax, "accepted too many validators")
    Fuzz.check(topology.faults.count <= TopologyLimits.faultsMax, "accepted too many faults")
    let json: Data
    do { json = try JSONEncoder().encode(topology) } catch {
        Fuzz.check(false, "accepted topology cannot be JSON-encoded: \(error)")
        return 0
    }
    let decoded = try? JSONDecoder().decode(Topology.self, from: json)
    Fuzz.check(decoded == topology, "accepted topology does not survive JSON encode then decode")
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzTopology_main`; it hands over to libFuzzer.
@_cdecl("FuzzTopology_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzOneInput)
}
