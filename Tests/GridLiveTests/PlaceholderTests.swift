import Testing

@Suite struct LivePlaceholderTests {
    @Test func builds() { #expect(Bool(true)) }
}
