import Testing

@Test func placeholder_MMHardwareTests() {}
