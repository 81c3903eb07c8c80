// INTERIM until the calibrated durable-commit cost lands.
extension MachineProfile {
    var storeSyncNanos: Double { 0 }
}
