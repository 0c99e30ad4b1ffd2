/// The version `mmsim --version` prints: the one place it is written.
public enum MMSimVersion {
    /// Semantic version of the tool and its output formats.
    public static let current = "0.2.0"
}
