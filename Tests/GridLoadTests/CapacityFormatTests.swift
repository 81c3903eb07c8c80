import Testing

@testable import GridLoad

@Suite struct CapacityFormatTests {
    @Test(arguments: [
        (100.1, "100.1"), (100.48, "100.48"), (100.0, "100"), (99.519, "99.52"), (250.0, "250"), (12.5, "12.5"),
        (4923.391, "4923"),
        (0.5, "0.5"),
    ])
    func aMissReadsAsAMiss(value: Double, text: String) {
        #expect(CapacityAnalysis.format(value) == text)
    }
}
