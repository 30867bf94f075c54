/// The version of this build (`--version`, the state file's `generator`, metrics, the
/// simulator). `current` is generated from the newest entry of `packaging/changelog` by
/// the BuildVersionPlugin, so the version is written in one place only.
public enum BuildVersion {}
