import Testing

@Test func placeholder_MMScenarioTests() {}
