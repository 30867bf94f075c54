import Foundation
import PackagePlugin

/// Writes `BuildVersion.current` from the newest entry of `packaging/changelog`, the one
/// place the version is written: the Makefile, the .deb and every binary read it from there.
/// It runs again whenever the changelog changes.
@main
struct BuildVersionPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let changelog = context.package.directoryURL.appending(path: "packaging/changelog")
        let output = context.pluginWorkDirectoryURL.appending(path: "BuildVersion+Current.swift")
        // The first line of a Debian changelog is `name (VERSION) distribution; urgency=…`.
        let script = """
            version=$(sed -n '1s/^[^(]*(\\([^)]*\\)).*$/\\1/p' "$1")
            [ -n "$version" ] || { echo "no version on the first line of $1" >&2; exit 1; }
            printf 'extension BuildVersion {\\n    /// The version, from packaging/changelog.\\n    public static let current = "%s"\\n}\\n' "$version" > "$2"
            """
        return [
            .buildCommand(
                displayName: "Reading the version from packaging/changelog",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", changelog.path, output.path],
                inputFiles: [changelog], outputFiles: [output])
        ]
    }
}
