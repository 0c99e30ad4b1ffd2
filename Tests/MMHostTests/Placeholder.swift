import Testing

@Test func placeholder_host() {}
