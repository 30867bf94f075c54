/// Work over every agent at once (their first files, their stops), in task groups of a
/// bounded size.
///
/// A Swift task group finds a finished child by walking its list of children, so one
/// group of N children costs O(N²) as they finish: at 10,000 agents that walk was 5 % of a
/// stop's CPU. Groups of at most `width` children, each in a group of groups, keep every
/// walk short; everything still runs concurrently.
enum ConcurrentWork {
    /// The most children of one group.
    static let width = 128

    /// Runs `body` on every element at once, and returns when all have finished.
    static func forEach<Element: Sendable>(
        _ elements: [Element], _ body: @escaping @Sendable (Element) async -> Void
    ) async {
        await withTaskGroup(of: Void.self) { groups in
            for start in stride(from: 0, to: elements.count, by: width) {
                let slice = elements[start..<min(start + width, elements.count)]
                groups.addTask {
                    await withTaskGroup(of: Void.self) { group in
                        for element in slice { group.addTask { await body(element) } }
                    }
                }
            }
        }
    }
}
