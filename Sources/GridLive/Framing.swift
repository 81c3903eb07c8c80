import NIOCore

/// A length prefix larger than `wireLimits.frameBytesMax`: refused before any of the frame is buffered, so a peer
/// cannot make this node hold more than one frame's worth of bytes per connection.
struct FrameTooLargeError: Error {
    let length: Int
}

/// Frames on a stream: a 4-byte big-endian length, then that many bytes. Unlike NIOExtras'
/// `LengthFieldBasedFrameDecoder`, it checks the length against the limit as soon as the prefix arrives rather
/// than when the buffer overflows.
struct LengthPrefixedFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    static let prefixBytes = 4
    let frameBytesMax: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return .needMoreData
        }
        guard Int(length) <= frameBytesMax else { throw FrameTooLargeError(length: Int(length)) }
        guard buffer.readableBytes >= Self.prefixBytes + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: Self.prefixBytes)
        guard let frame = buffer.readSlice(length: Int(length)) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        try decode(context: context, buffer: &buffer)
    }
}

enum Framing {
    /// The prefix and the frame in one buffer: one write, one syscall.
    static func buffer(_ frame: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: LengthPrefixedFrameDecoder.prefixBytes + frame.count)
        buffer.writeInteger(UInt32(frame.count), endianness: .big)
        buffer.writeBytes(frame)
        return buffer
    }

    static func wireBytes(_ frame: [UInt8]) -> Int { LengthPrefixedFrameDecoder.prefixBytes + frame.count }
}
