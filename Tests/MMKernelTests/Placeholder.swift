import Testing

@Test func placeholder_MMKernelTests() {}
