/// Glassbox's release version, part of the tuning cache's key (``TuningCache/kernelsVersion``).
public enum GlassboxVersion {
    public static let current = "0.15.0"
}
