import FuzzSupport
import GridLedger
import GridWire
import NIOCore
import NIOEmbedded

@testable import GridLive

// The live runtime's framing and handshake: the input is a TCP byte stream, delivered in chunks whose sizes the
// first byte picks, to the real `LengthPrefixedFrameDecoder` on an `EmbeddedChannel`. Invariants: every frame it
// emits is at most the limit; the frames, each with its length prefix, are exactly the start of the stream in
// order; it refuses a stream only for a length prefix over the limit, never for anything else; the first frames
// then go through the handshake's decoding and proof check (`hello`, then `helloProof` against this side's
// challenge), which must refuse, not trap. The limit is small (4 KiB) so the refusal path is reached.

private let frameBytesMax = 4096
private let challenge = Fixture.challenge

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked {
        let hello = Fixture.hello()
        let proof = HelloProof.make(
            key: Fixture.validatorKeys[2], chainID: Fixture.chainID, peerChallenge: challenge,
            identity: hello.identity)
        func framed(_ frames: [[UInt8]]) -> [UInt8] {
            frames.flatMap { withUnsafeBytes(of: UInt32($0.count).bigEndian) { Array($0) } + $0 }
        }
        let handshake = [WireCodec.encode(PeerMessage.hello(hello)), WireCodec.encode(PeerMessage.helloProof(proof))]
        let gossip = WireCodec.encode(PeerMessage.gossip(Fixture.pooled(2)))
        return [
            ("handshake-whole", [0] + framed(handshake)),
            ("handshake-chunks-of-3", [3] + framed(handshake + [gossip])),
            ("client-submit", [7] + framed([WireCodec.encode(Fixture.clientMessages()[0].message)])),
            ("too-large", [0] + framed([[UInt8](repeating: 1, count: 16)]).prefix(2) + [0xFF, 0xFF]),
        ]
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (chunkSelector, stream) = Fuzz.split(Fuzz.bytes(data, size)) else { return 0 }
    // 0: the whole stream at once; otherwise chunks of 1 to 255 bytes.
    let chunkBytes = chunkSelector == 0 ? max(stream.count, 1) : Int(chunkSelector)
    let channel = EmbeddedChannel(
        handler: ByteToMessageHandler(LengthPrefixedFrameDecoder(frameBytesMax: frameBytesMax)))
    var frames: [[UInt8]] = []
    var refused = false
    var offset = 0
    while offset < stream.count, !refused {
        let chunk = stream[offset..<min(offset + chunkBytes, stream.count)]
        offset += chunk.count
        do {
            try channel.writeInbound(channel.allocator.buffer(bytes: chunk))
        } catch is FrameTooLargeError {
            refused = true
        } catch {
            Fuzz.check(false, "framing refused a stream for something other than its length: \(error)")
        }
        while let buffer = try? channel.readInbound(as: ByteBuffer.self) {
            frames.append(Array(buffer.readableBytesView))
        }
    }
    _ = try? channel.finish()

    var expected = stream[...]
    for frame in frames {
        Fuzz.check(frame.count <= frameBytesMax, "a frame of \(frame.count) bytes passed the limit")
        let prefix = withUnsafeBytes(of: UInt32(frame.count).bigEndian) { Array($0) }
        Fuzz.check(Array(expected.prefix(4 + frame.count)) == prefix + frame, "frames do not match the stream")
        expected = expected.dropFirst(4 + frame.count)
    }
    // What is left is an incomplete frame, or a prefix over the limit if the stream was refused.
    if expected.count >= 4 {
        let length = expected.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        Fuzz.check(
            refused ? length > frameBytesMax : expected.count < 4 + length,
            "framing stopped at a complete frame (refused: \(refused))")
    } else {
        Fuzz.check(!refused, "refused without a length prefix")
    }

    // The accepting side's handshake: a `hello`, then a proof of the key it claims, answering our challenge.
    guard let first = frames.first, case .hello(let hello)? = try? WireCodec.decode(first) else { return 0 }
    guard frames.count > 1, case .helloProof(let proof)? = try? WireCodec.decode(frames[1]) else { return 0 }
    _ = proof.verify(answering: hello, challenge: challenge, chainID: Fixture.chainID)
    for frame in frames.dropFirst(2) { _ = try? WireCodec.decode(frame) }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzLive_main`; it hands over to libFuzzer.
@_cdecl("FuzzLive_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzOneInput)
}
