import Testing

@Test func GridWireTestsBuilds() {
    #expect(Bool(true))
}
