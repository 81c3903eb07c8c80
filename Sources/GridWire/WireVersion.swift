/// The wire format's version: the first byte of every frame a node sends. A receiver refuses any other.
public enum WireVersion {
    public static let current: UInt8 = 2
}
