import FuzzSupport
import GridLedger
import GridWire

// The wire codec: every frame a peer or a client can send. Invariants: a frame that decodes is the canonical
// encoding of what it decoded to (encoding gives back the very bytes), decoding that again gives the same value,
// and a refusal names a field and an offset inside the frame.

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked {
        Fixture.peerMessages().map { ("peer-\($0.name)", WireCodec.encode($0.message)) }
            + Fixture.clientMessages().map { ("client-\($0.name)", WireCodec.encode($0.message)) }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    do {
        let message = try WireCodec.decode(bytes)
        let encoded = WireCodec.encode(message)
        Fuzz.check(encoded == bytes, "peer \(message.kind) decoded from bytes that are not its encoding")
        let again = try? WireCodec.decode(encoded)
        Fuzz.check(again == message, "peer \(message.kind) does not survive encode then decode")
    } catch {
        Fuzz.checkRefusal(error, bytes)
    }
    do {
        let message = try WireCodec.decodeClient(bytes)
        let encoded = WireCodec.encode(message)
        Fuzz.check(encoded == bytes, "client \(message.kind) decoded from bytes that are not its encoding")
        let again = try? WireCodec.decodeClient(encoded)
        Fuzz.check(again == message, "client \(message.kind) does not survive encode then decode")
    } catch {
        Fuzz.checkRefusal(error, bytes)
    }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzWire_main`; it hands over to libFuzzer.
@_cdecl("FuzzWire_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzOneInput)
}
