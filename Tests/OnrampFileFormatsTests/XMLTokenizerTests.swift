import OnrampFileFormats
import Testing

@Suite struct XMLTokenizerTests {
    typealias Event = XMLTokenizer.Event

    /// All events of `text` fed in chunks of `chunk` bytes, or the first failure.
    static func events(_ text: String, chunk: Int = 1 << 18) -> (events: [Event], failure: XMLTokenizer.Failure?) {
        var t = XMLTokenizer(maxDepth: 5, maxTokenBytes: 1000)
        let bytes = Array(text.utf8)
        var out: [Event] = []
        var i = 0
        while true {
            do {
                while let e = try t.next() { out.append(e) }
            } catch {
                return (out, error)
            }
            guard t.needsInput else { return (out, nil) }
            if i < bytes.count {
                t.feed(bytes[i..<min(i + chunk, bytes.count)])
                i += chunk
            } else {
                t.finish()
            }
        }
    }

    @Test func eventsAreTheSameWhateverTheChunkSize() {
        let doc = """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- export --><a x="1" y='t&amp;&#x41;&#66;'><b>1 &lt; 2</b><c/><![CDATA[<raw> & ]]></a>
        """
        let whole = Self.events(doc)
        #expect(whole.failure == nil)
        #expect(whole.events == [
            .start(name: "a", attributes: [.init(name: "x", value: "1"), .init(name: "y", value: "t&AB")]),
            .start(name: "b", attributes: []), .text("1 < 2"), .end(name: "b"),
            .start(name: "c", attributes: []), .end(name: "c"), .text("<raw> & "), .end(name: "a"),
        ])
        for chunk in [1, 2, 7] { #expect(Self.events(doc, chunk: chunk).events == whole.events, "chunk \(chunk)") }
    }

    @Test func lineEndsAndAttributeWhitespaceAreNormalised() {
        let r = Self.events("<a v=\"x\ny\">1\r\n2\r3</a>")
        #expect(r.events == [.start(name: "a", attributes: [.init(name: "v", value: "x y")]), .text("1\n2\n3"), .end(name: "a")])
    }

    @Test func malformedStructureNamesLineAndColumnAndStaysFailed() {
        var r = Self.events("<a>\n  <b></c>\n</a>")
        #expect(r.failure?.code == "xml.mismatched")
        #expect(r.failure?.line == 2 && r.failure?.column == 6, "\(String(describing: r.failure))")
        #expect(r.failure?.recoverable == false)
        r = Self.events("<a><b>")
        #expect(r.failure?.code == "xml.eof" && r.failure?.message.contains("<b>") == true)
        #expect(Self.events("<a/><b/>").failure?.code == "xml.malformed")
        #expect(Self.events("text").failure?.code == "xml.malformed")
        #expect(Self.events("").failure?.code == "xml.no_root")
        #expect(Self.events("<a><1b/></a>").failure?.code == "xml.malformed")
    }

    @Test func entityDeclarationsAreRefusedAndUnknownEntitiesNotExpanded() throws {
        let laughs = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
        <lolz>&lol2;</lolz>
        """
        let r = Self.events(laughs)
        #expect(r.failure?.code == "xml.entity_declaration" && r.failure?.line == 2)
        #expect(r.events.isEmpty)
        let xxe = Self.events("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>")
        #expect(xxe.failure?.code == "xml.entity_declaration")
        // A DOCTYPE without declarations is harmless; an undeclared entity is a recoverable error, never expanded.
        var t = XMLTokenizer()
        t.feed(Array("<!DOCTYPE x SYSTEM \"x.dtd\"><x><y>&e;</y><z>ok</z></x>".utf8))
        t.finish()
        #expect(try t.next() == .start(name: "x", attributes: []))
        #expect(try t.next() == .start(name: "y", attributes: []))
        do {
            _ = try t.next()
            Issue.record("an unknown entity was accepted")
        } catch {
            #expect(error.code == "xml.entity" && error.recoverable)
        }
        #expect(try t.next() == .end(name: "y"))
        #expect(try t.next() == .start(name: "z", attributes: []))
    }

    @Test func depthAndTokenSizeAreCapped() {
        let deep = String(repeating: "<a>", count: 6) + String(repeating: "</a>", count: 6)
        #expect(Self.events(deep).failure?.code == "xml.too_deep")
        #expect(Self.events(String(repeating: "<a>", count: 5) + String(repeating: "</a>", count: 5)).failure == nil)
        let long = "<a>" + String(repeating: "x", count: 5000) + "</a>"
        #expect(Self.events(long, chunk: 100).failure?.code == "xml.token_too_large")
    }

    @Test func duplicateAttributesAndBadUTF8AreRecoverable() {
        var t = XMLTokenizer()
        t.feed(Array("<r><a x=\"1\" x=\"2\"/>".utf8) + [0x3C, 0x62, 0x3E, 0xFF, 0x3C, 0x2F, 0x62, 0x3E] + Array("</r>".utf8))
        t.finish()
        var codes: [String] = [], events: [Event] = []
        while true {
            do {
                guard let e = try t.next() else { break }
                events.append(e)
            } catch {
                codes.append(error.code)
                #expect(error.recoverable)
            }
        }
        #expect(codes == ["xml.attribute", "xml.encoding"])
        #expect(events == [.start(name: "r", attributes: []), .end(name: "a"), .start(name: "b", attributes: []),
                           .end(name: "b"), .end(name: "r")])
    }
}
