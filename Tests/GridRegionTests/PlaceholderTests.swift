import Testing

@Test func GridRegionTestsBuilds() {
    #expect(Bool(true))
}
