/// The input profiles of the household model: load types (average household power, W) and irradiance types
/// (plane-of-array irradiance, W/m², for eq. 1), one value per step of `stepMinutes` from midnight.
///
/// CE-SDT used 15 measured NSW load types and 3 measured PV types of November 2012, which we do not have. The
/// shipped set (`CommunityProfiles.shipped`, from `CommunityProfileData.swift`) was generated once by
/// `scripts/generate-community-profiles.py` with pvlib (Sydney, November) and richardsonpy (stochastic household
/// loads); see `data/ce-sdt/PROVENANCE.md`.
public struct CommunityProfiles: Sendable, Hashable, Codable {
    public var stepMinutes: Int
    public var loadTypesW: [[Double]]
    public var irradianceTypesWPerM2: [[Double]]

    public init(stepMinutes: Int, loadTypesW: [[Double]], irradianceTypesWPerM2: [[Double]]) {
        self.stepMinutes = stepMinutes
        self.loadTypesW = loadTypesW
        self.irradianceTypesWPerM2 = irradianceTypesWPerM2
    }

    public var stepsPerDay: Int { 24 * 60 / stepMinutes }

    public var problem: String? {
        guard stepMinutes > 0, 1440 % stepMinutes == 0 else {
            return "stepMinutes must divide a day, got \(stepMinutes)"
        }
        guard !loadTypesW.isEmpty, !irradianceTypesWPerM2.isEmpty else { return "need at least one load and PV type" }
        for (name, types) in [("loadTypesW", loadTypesW), ("irradianceTypesWPerM2", irradianceTypesWPerM2)] {
            for (index, values) in types.enumerated() {
                guard values.count == stepsPerDay else {
                    return "\(name)[\(index)] has \(values.count) values, expected \(stepsPerDay)"
                }
                guard values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                    return "\(name)[\(index)] has a negative or non-finite value"
                }
            }
        }
        return nil
    }

    /// The same profiles averaged over steps of `minutes` (a multiple of `stepMinutes`).
    public func resampled(toStepMinutes minutes: Int) -> CommunityProfiles {
        guard minutes != stepMinutes, minutes % stepMinutes == 0 else { return self }
        let group = minutes / stepMinutes
        func average(_ values: [Double]) -> [Double] {
            stride(from: 0, to: values.count, by: group).map { start in
                values[start..<min(values.count, start + group)].reduce(0, +) / Double(group)
            }
        }
        return CommunityProfiles(
            stepMinutes: minutes, loadTypesW: loadTypesW.map(average),
            irradianceTypesWPerM2: irradianceTypesWPerM2.map(average))
    }
}
