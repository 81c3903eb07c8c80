/// Feeders the command line and the workload can ask for by name.
public enum FeederCatalog {
    public static let names = ["ieee33"]

    public static func feeder(named name: String) -> Feeder? {
        switch name.lowercased() {
        case "ieee33": return Feeder.ieee33()
        default: return nil
        }
    }
}
