#if !FUZZING
    import Foundation

    /// Without libFuzzer: `gws-fuzz TARGET FILE|DIRECTORY...` runs each file through the
    /// target once, so that `make test` replays the seed corpora and every past finding.
    @main
    enum ReplayMain {
        static func main() {
            var arguments = CommandLine.arguments.dropFirst()
            guard let name = arguments.popFirst(), let target = FuzzTarget(rawValue: name) else {
                let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
                FileHandle.standardError.write(Data("usage: gws-fuzz \(names) FILE|DIRECTORY...\n".utf8))
                exit(64)
            }
            var count = 0
            for path in arguments {
                for file in files(at: path) {
                    guard let data = FileManager.default.contents(atPath: file) else {
                        FileHandle.standardError.write(Data("gws-fuzz: cannot read \(file)\n".utf8))
                        exit(66)
                    }
                    target.run(Array(data))
                    count += 1
                }
            }
            print("gws-fuzz \(name): \(count) input(s) replayed, no crash")
        }

        /// `path` itself, or the regular files in it, sorted.
        static func files(at path: String) -> [String] {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                return [path]
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.sorted().map { path + "/" + $0 }.filter {
                var nested: ObjCBool = false
                return FileManager.default.fileExists(atPath: $0, isDirectory: &nested) && !nested.boolValue
            }
        }
    }
#endif
