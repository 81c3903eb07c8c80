import Testing

@Test func GridNodeTestsBuilds() {
    #expect(Bool(true))
}
