import Testing

@Test func placeholderWeftPipelineTests() { #expect(Bool(true)) }
