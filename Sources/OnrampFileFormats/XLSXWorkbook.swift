import ZIPFoundation

/// What reading a sheet needs from its workbook: the sheets (tab name, part path), the date system, which cell
/// styles are dates, and the shared strings (held in memory: about the size of the sharedStrings part).
struct XLSXWorkbook: Sendable {
    var sheets: [(name: String, part: String)] = []
    var date1904 = false
    /// Per cell style (`s` attribute): how its number format shows numbers.
    var styles: [XLSXNumberFormat] = []
    var sharedStrings: [String] = []

    init(path: String, limit: Int64) throws(FileReadError) {
        let archive = try ZipParts.open(path)
        var workbookPart = "xl/workbook.xml"
        let packageRels = try Self.relationships(archive, "_rels/.rels", base: "", limit: limit)
        for r in packageRels where r.type.hasSuffix("/officeDocument") { workbookPart = r.target }
        let base = workbookPart.split(separator: "/").dropLast().joined(separator: "/")
        let workbookFile = workbookPart.split(separator: "/").last.map(String.init) ?? ""
        let relsPart = (base.isEmpty ? "" : base + "/") + "_rels/" + workbookFile + ".rels"
        let rels = try Self.relationships(archive, relsPart, base: base, limit: limit)
        var sheetIds: [(name: String, id: String)] = []
        var date1904 = false
        let found = try ZipParts.parse(archive, workbookPart, limit: limit) { event, _ throws(FileReadError) in
            guard case .start(let name, let attributes) = event else { return }
            switch localName(name) {
            case "workbookPr":
                let v = attributes.first { $0.name == "date1904" }?.value
                date1904 = v == "1" || v == "true"
            case "sheet":
                let sheetName = attributes.first { $0.name == "name" }?.value ?? ""
                let id = attributes.first { localName($0.name) == "id" && $0.name != "id" }?.value ?? ""
                sheetIds.append((sheetName, id))
            default: break
            }
        }
        self.date1904 = date1904
        guard found else { throw FileReadError("xlsx.corrupt", "not an XLSX workbook (no \(workbookPart))") }
        for s in sheetIds {
            guard let r = rels.first(where: { $0.id == s.id }) else {
                throw FileReadError("xlsx.corrupt", "sheet '\(s.name)' has no part in the workbook")
            }
            sheets.append((s.name, r.target))
        }
        if let stylesPart = rels.first(where: { $0.type.hasSuffix("/styles") })?.target {
            try readStyles(archive, stylesPart, limit: limit)
        }
        if let stringsPart = rels.first(where: { $0.type.hasSuffix("/sharedStrings") })?.target {
            try readSharedStrings(archive, stringsPart, limit: limit)
        }
    }

    private static func relationships(_ archive: Archive, _ part: String, base: String,
                                      limit: Int64) throws(FileReadError) -> [(id: String, type: String, target: String)] {
        var out: [(id: String, type: String, target: String)] = []
        _ = try ZipParts.parse(archive, part, limit: limit) { event, _ throws(FileReadError) in
            guard case .start(let name, let attributes) = event, localName(name) == "Relationship" else { return }
            func attr(_ n: String) -> String { attributes.first { $0.name == n }?.value ?? "" }
            out.append((attr("Id"), attr("Type"), resolve(attr("Target"), base: base)))
        }
        return out
    }

    /// A relationship target as a zip entry path: absolute (`/xl/...`) or relative to `base`, `..` resolved.
    static func resolve(_ target: String, base: String) -> String {
        var parts: [Substring] = target.hasPrefix("/") ? [] : base.split(separator: "/")
        for p in target.split(separator: "/") {
            if p == ".." { _ = parts.popLast() } else if p != "." { parts.append(p) }
        }
        return parts.joined(separator: "/")
    }

    private mutating func readStyles(_ archive: Archive, _ part: String, limit: Int64) throws(FileReadError) {
        var formats: [Int: String] = [:]
        var xfFormats: [Int] = []
        _ = try ZipParts.parse(archive, part, limit: limit) { event, open throws(FileReadError) in
            guard case .start(let name, let attributes) = event else { return }
            let id = attributes.first { $0.name == "numFmtId" }.flatMap { Int($0.value) } ?? 0
            switch localName(name) {
            case "numFmt":
                formats[id] = attributes.first { $0.name == "formatCode" }?.value ?? ""
            case "xf" where open.count >= 2 && localName(open[open.count - 2]) == "cellXfs":
                xfFormats.append(id)
            default: break
            }
        }
        styles = xfFormats.map { XLSXNumberFormat(id: $0, code: formats[$0]) }
    }

    private mutating func readSharedStrings(_ archive: Archive, _ part: String, limit: Int64) throws(FileReadError) {
        var strings: [String] = []
        var current = ""
        var phonetic = 0
        _ = try ZipParts.parse(archive, part, limit: limit) { event, open throws(FileReadError) in
            switch event {
            case .start(let name, _):
                if localName(name) == "si" { current = "" } else if localName(name) == "rPh" { phonetic += 1 }
            case .text(let text):
                if phonetic == 0, let last = open.last, localName(last) == "t" { current += text }
            case .end(let name):
                if localName(name) == "si" { strings.append(current) } else if localName(name) == "rPh" { phonetic -= 1 }
            }
        }
        sharedStrings = strings
    }
}
