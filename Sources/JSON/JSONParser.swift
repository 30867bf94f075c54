/// Why a byte sequence is not an acceptable JSON document.
public enum JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input ended inside a value.
    case unexpectedEnd
    /// A byte that cannot start or continue a value, with its offset.
    case unexpectedByte(UInt8, offset: Int)
    /// Containers nested deeper than the parser allows.
    case tooDeep(limit: Int)
    /// A number that is not a valid JSON number.
    case invalidNumber(offset: Int)
    /// A malformed escape or control character inside a string.
    case invalidString(offset: Int)
    /// Non-whitespace content after the document.
    case trailingContent(offset: Int)
    /// An object with more members than the parser allows.
    case tooManyMembers(limit: Int)
    /// More values than the input's size allows (never for valid JSON: the guard that keeps
    /// the memory a document costs proportional to its bytes).
    case tooManyValues(limit: Int)

    public var description: String {
        switch self {
        case .unexpectedEnd: return "JSON ends early"
        case .unexpectedByte(let b, let o): return "unexpected byte 0x\(String(b, radix: 16)) at offset \(o)"
        case .tooDeep(let limit): return "JSON nested deeper than \(limit) levels"
        case .invalidNumber(let o): return "invalid number at offset \(o)"
        case .invalidString(let o): return "invalid string at offset \(o)"
        case .trailingContent(let o): return "content after the JSON document at offset \(o)"
        case .tooManyMembers(let limit): return "a JSON object with more than \(limit) members"
        case .tooManyValues(let limit): return "more than \(limit) JSON values"
        }
    }
}

/// A strict RFC 8259 parser from UTF-8 bytes to ``JSONValue``.
///
/// It reads bytes in one pass without intermediate strings for the structure, bounds
/// nesting depth (a hostile body must not exhaust the stack) and members per object, keeps
/// its work linear in the input, and never traps on input. Invalid UTF-8 inside strings is
/// replaced with U+FFFD rather than rejected.
public struct JSONParser: Sendable {
    /// The deepest nesting of arrays and objects accepted.
    public var maximumDepth: Int
    /// The most members one object may have (GWS's and Bayeux's have a handful).
    public var maximumMembers: Int

    public init(maximumDepth: Int = 64, maximumMembers: Int = 10_000) {
        self.maximumDepth = maximumDepth
        self.maximumMembers = maximumMembers
    }

    /// Parses one complete document from `bytes`.
    public func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var cursor = Cursor(bytes: buffer, maximumDepth: maximumDepth, maximumMembers: maximumMembers)
            return Result { () throws(JSONParseError) in try cursor.document() }
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer throws(JSONParseError) in
            var cursor = Cursor(bytes: buffer, maximumDepth: maximumDepth, maximumMembers: maximumMembers)
            return try cursor.document()
        }
    }

    /// Parses one complete document from a string's UTF-8.
    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}

/// The parser's position in one input buffer.
private struct Cursor {
    /// Objects up to this many members find duplicate keys by a scan; larger ones by an index.
    static let scanLimit = 16

    let bytes: UnsafeBufferPointer<UInt8>
    let maximumDepth: Int
    let maximumMembers: Int
    var offset = 0
    var depth = 0
    /// Values parsed so far, and how many the input's size allows: every value takes a byte
    /// and every two values a separator, so no valid document has more than about half as
    /// many values as bytes. Memory per value is bounded, so a document's cost is too.
    var values = 0
    let valueBudget: Int

    init(bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int, maximumMembers: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
        self.maximumMembers = maximumMembers
        valueBudget = bytes.count / 2 + 2
    }

    mutating func document() throws(JSONParseError) -> JSONValue {
        let value = try self.value()
        skipWhitespace()
        if offset != bytes.count { throw .trailingContent(offset: offset) }
        return value
    }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            default: return
            }
        }
    }

    mutating func peek() throws(JSONParseError) -> UInt8 {
        skipWhitespace()
        guard offset < bytes.count else { throw .unexpectedEnd }
        return bytes[offset]
    }

    mutating func value() throws(JSONParseError) -> JSONValue {
        values += 1
        if values > valueBudget { throw .tooManyValues(limit: valueBudget) }
        let byte = try peek()
        switch byte {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw .unexpectedByte(byte, offset: offset)
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - offset >= count else { throw .unexpectedEnd }
        let start = word.utf8Start
        for i in 0..<count where bytes[offset + i] != start[i] {
            throw .unexpectedByte(bytes[offset + i], offset: offset + i)
        }
        offset += count
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > maximumDepth { throw .tooDeep(limit: maximumDepth) }
    }

    mutating func object() throws(JSONParseError) -> JSONValue {
        try enter()
        offset += 1
        // No capacity reserved ahead: `{}` costs nothing beyond its value, whatever a
        // document holds of them (an eager reserve made 300,000 empty objects cost 100 MB).
        var members: [(key: String, value: JSONValue)] = []
        if try peek() == UInt8(ascii: "}") {
            offset += 1
            depth -= 1
            return .object(JSONObject(uniqueMembers: members))
        }
        // Small objects (all of Bayeux's and GWS's) are checked for duplicate keys by a
        // scan; past `Self.scanLimit` members an index by key keeps the work linear, so
        // that an object with 100,000 keys costs no more per key than one with 10.
        var index: [String: Int]?
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw .unexpectedByte(bytes[offset], offset: offset) }
            let key = try string()
            guard try peek() == UInt8(ascii: ":") else { throw .unexpectedByte(bytes[offset], offset: offset) }
            offset += 1
            let value = try value()
            // Later duplicates win, as in most parsers; checking keeps keys unique.
            if index != nil {
                if let existing = index?[key] {
                    members[existing].value = value
                } else {
                    guard members.count < maximumMembers else { throw .tooManyMembers(limit: maximumMembers) }
                    index?[key] = members.count
                    members.append((key, value))
                }
            } else if let existing = members.firstIndex(where: { $0.key == key }) {
                members[existing].value = value
            } else {
                members.append((key, value))
                if members.count > Self.scanLimit {
                    var built = [String: Int](minimumCapacity: members.count * 2)
                    for (position, member) in members.enumerated() { built[member.key] = position }
                    index = built
                }
            }
            let next = try peek()
            offset += 1
            if next == UInt8(ascii: ",") { continue }
            if next == UInt8(ascii: "}") { break }
            throw .unexpectedByte(next, offset: offset - 1)
        }
        depth -= 1
        return .object(JSONObject(uniqueMembers: members))
    }

    mutating func array() throws(JSONParseError) -> JSONValue {
        try enter()
        offset += 1
        var elements: [JSONValue] = []
        if try peek() == UInt8(ascii: "]") {
            offset += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try value())
            let next = try peek()
            offset += 1
            if next == UInt8(ascii: ",") { continue }
            if next == UInt8(ascii: "]") { break }
            throw .unexpectedByte(next, offset: offset - 1)
        }
        depth -= 1
        return .array(elements)
    }

    /// Reads a string starting at the opening quote; fast path when it has no escapes.
    mutating func string() throws(JSONParseError) -> String {
        let start = offset + 1
        var i = start
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                offset = i + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") { return try escapedString(from: start) }
            if b < 0x20 { throw .invalidString(offset: i) }
            i += 1
        }
        throw .unexpectedEnd
    }

    mutating func escapedString(from start: Int) throws(JSONParseError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var i = start
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                offset = i + 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard i + 1 < bytes.count else { throw .unexpectedEnd }
                let e = bytes[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4(at: i)
                    i += 4
                    if (0xD800...0xDBFF).contains(scalar), i + 6 <= bytes.count,
                        bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u")
                    {
                        let low = try hex4(at: i + 2)
                        if (0xDC00...0xDFFF).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                        }
                    }
                    let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    out.append(contentsOf: String(Character(unicode)).utf8)
                default:
                    throw .invalidString(offset: i - 1)
                }
            default:
                if b < 0x20 { throw .invalidString(offset: i) }
                out.append(b)
                i += 1
            }
        }
        throw .unexpectedEnd
    }

    func hex4(at index: Int) throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw .unexpectedEnd }
        var value: UInt32 = 0
        for k in index..<(index + 4) {
            let c = bytes[k]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw .invalidString(offset: k)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    mutating func number() throws(JSONParseError) -> JSONValue {
        let start = offset
        var i = offset
        var negative = false
        if bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        let intStart = i
        var magnitude: UInt64 = 0
        var overflow = false
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (m2, o2) = m1.addingReportingOverflow(UInt64(bytes[i] - UInt8(ascii: "0")))
            magnitude = m2
            overflow = overflow || o1 || o2
            i += 1
        }
        let intDigits = i - intStart
        if intDigits == 0 || (intDigits > 1 && bytes[intStart] == UInt8(ascii: "0")) {
            throw .invalidNumber(offset: start)
        }
        var isInteger = true
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            let fracStart = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            if i == fracStart { throw .invalidNumber(offset: start) }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let expStart = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            if i == expStart { throw .invalidNumber(offset: start) }
        }
        offset = i
        if isInteger, !overflow, magnitude <= UInt64(Int64.max) {
            let v = Int64(magnitude)
            return .int(negative ? -v : v)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw .invalidNumber(offset: start) }
        return .double(d)
    }
}
