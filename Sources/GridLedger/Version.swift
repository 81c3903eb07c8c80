public enum GridLedgerVersion {
    public static let current = "0.1.0"
}
