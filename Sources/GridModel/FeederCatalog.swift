/// Feeders the command line and the workload can ask for by name.
public enum FeederCatalog {
    public static let names = ["ieee33"]
    /// Meshed networks (solved by Newton-Raphson, `Network`), asked for by name like feeders.
    public static let networkNames = ["ieee30"]

    public static func feeder(named name: String) -> Feeder? {
        switch name.lowercased() {
        case "ieee33": return Feeder.ieee33()
        default: return nil
        }
    }

    public static func network(named name: String) -> Network? {
        switch name.lowercased() {
        case "ieee30": return Network.ieee30()
        default: return nil
        }
    }
}
