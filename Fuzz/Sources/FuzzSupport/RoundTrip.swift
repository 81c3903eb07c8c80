import GridLedger

extension Fuzz {
    /// The invariants of a canonical binary decoder: what decodes is exactly the encoding of the decoded value
    /// (so no two byte strings mean the same thing), it decodes again to an equal value, and a refusal names a
    /// field and an offset inside the input. Returns the value if the bytes decoded.
    @discardableResult
    public static func roundTrip<Value: Equatable>(
        _ name: String, _ bytes: [UInt8], decode: ([UInt8]) throws(DecodingError) -> Value,
        encode: (Value) -> [UInt8]
    ) -> Value? {
        let value: Value
        do { value = try decode(bytes) } catch {
            checkRefusal(error, bytes)
            return nil
        }
        let encoded = encode(value)
        check(encoded == bytes, "\(name) decoded from \(bytes.count) bytes that are not its encoding")
        let again = try? decode(encoded)
        check(again == value, "\(name) does not survive encode then decode")
        return value
    }

    /// A refusal must say where: a field path and an offset inside the input.
    public static func checkRefusal(_ error: DecodingError, _ bytes: [UInt8]) {
        check(!error.field.isEmpty, "refusal without a field: \(error)")
        check(error.offset >= 0 && error.offset <= bytes.count, "refusal offset outside the input: \(error)")
    }
}
