import Testing

@Test func placeholderWeftDecodingTests() { #expect(Bool(true)) }
