import Foundation
import OnrampFileFormats

/// The few things this target reads from S3's XML answers (ListObjectsV2, errors, multipart uploads,
/// tagging), parsed with the `XMLTokenizer` of OnrampFileFormats: each element's text by name, and for
/// elements holding others (`Contents`, `Tag`) their children's texts, in document order.
struct S3XML: Sendable {
    /// The text of the first element of each name.
    private(set) var texts: [String: String] = [:]
    /// For each element that holds elements, the texts of its leaf children, one entry per occurrence.
    private(set) var groups: [String: [[String: String]]] = [:]

    /// Parses `xml`; malformed XML gives what was read before the fault (an error answer may be cut short).
    init(_ xml: String) {
        var tokenizer = XMLTokenizer(maxDepth: 32)
        tokenizer.feed(Array(xml.utf8))
        tokenizer.finish()
        var stack: [(name: String, text: String, children: [String: String], hasChildren: Bool)] = []
        while let event = try? tokenizer.next() {
            switch event {
            case .start(let name, _):
                if !stack.isEmpty { stack[stack.count - 1].hasChildren = true }
                stack.append((name, "", [:], false))
            case .text(let text):
                if !stack.isEmpty { stack[stack.count - 1].text += text }
            case .end:
                guard let element = stack.popLast() else { continue }
                if element.hasChildren {
                    groups[element.name, default: []].append(element.children)
                } else {
                    if texts[element.name] == nil { texts[element.name] = element.text }
                    if !stack.isEmpty, stack[stack.count - 1].children[element.name] == nil {
                        stack[stack.count - 1].children[element.name] = element.text
                    }
                }
            }
        }
    }

    /// The text of the first `<name>` element (nil when there is none).
    static func text(_ name: String, in xml: String) -> String? { S3XML(xml).texts[name] }

    /// Escapes text for an XML element body.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
