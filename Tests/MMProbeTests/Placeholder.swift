import Testing

@Test func placeholderProbe() {}
