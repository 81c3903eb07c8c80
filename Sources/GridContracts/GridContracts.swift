/// The grid contracts: voltage stability (`VoltageStabilityContract`) and the energy auction
/// (`EnergyAuctionContract`). Both are deterministic `Contract`s with integer (fixed-point) state only, so every
/// validator reaches the same state root.
public enum GridContracts {}
