extension StringProtocol {
    /// The text without leading and trailing white space (spaces, tabs, newlines): the
    /// project's one trimming helper.
    public var trimmingWhitespace: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}
