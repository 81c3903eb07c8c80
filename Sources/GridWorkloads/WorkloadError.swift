/// Why a grid contract workload cannot be set up or run: a topology its drivers cannot derive contracts from, or a
/// power flow that fails. The runtimes wrap it in their own errors.
public enum WorkloadError: Error, CustomStringConvertible {
    case setup(String)

    public var description: String {
        switch self {
        case .setup(let reason): return reason
        }
    }
}
