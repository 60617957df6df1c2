/// A field path built one step at a time as a walk descends a document (`steps[2].map`), written out only when
/// asked: a walk that formatted the whole path at every level would copy depth² × key-length bytes, gigabytes for a
/// few MiB of deeply nested long keys.
public final class ValuePath: Sendable, CustomStringConvertible {
    private enum Step: Sendable {
        case text(String)
        case key(String)
        case index(Int)
    }

    private let parent: ValuePath?
    private let step: Step?

    private init(parent: ValuePath?, step: Step?) {
        self.parent = parent
        self.step = step
    }

    /// The path as written, `""` for the document itself.
    public convenience init(_ text: String = "") {
        self.init(parent: nil, step: text.isEmpty ? nil : .text(text))
    }

    public func key(_ key: String) -> ValuePath { ValuePath(parent: self, step: .key(key)) }
    public func index(_ i: Int) -> ValuePath { ValuePath(parent: self, step: .index(i)) }

    /// `a.b[2].c`, as `OnrampError` locations name fields.
    public var description: String {
        var steps: [Step] = []
        var node: ValuePath? = self
        while let n = node {
            if let s = n.step { steps.append(s) }
            node = n.parent
        }
        var out = ""
        for s in steps.reversed() {
            switch s {
            case .text(let t): out += t
            case .key(let k): out += out.isEmpty ? k : ".\(k)"
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }
}
