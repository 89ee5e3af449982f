import Testing

@Test func placeholderWeftMultilineTests() { #expect(Bool(true)) }
