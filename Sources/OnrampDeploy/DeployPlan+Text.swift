extension DeployPlan {
    /// The plan as `onramp push` prints it: a count line, then one line per item and a diff under each change.
    public func text(tenant: String) -> String {
        guard !items.isEmpty else { return "No changes: tenant \(tenant) on the server matches the directory.\n" }
        func count(_ a: Action) -> Int { items.filter { $0.action == a }.count }
        var out =
            "Plan for tenant \(tenant): \(count(.create)) to create, \(count(.change)) to change, "
            + "\(count(.delete)) to delete, \(count(.kept)) kept (on the server only)\n"
        for item in items {
            let file = item.file.map { " (\($0))" } ?? ""
            switch item.action {
            case .create:
                out += "+ create \(item.kind.rawValue) \(item.name)\(file)\n"
            case .change:
                let note = item.kind == .pipeline ? ": a new version" : ""
                out += "~ change \(item.kind.rawValue) \(item.name)\(file)\(note)\n"
                for line in LineDiff.unified(item.before, item.after) { out += "    \(line)\n" }
            case .delete:
                let how = item.kind == .pipeline ? "archive" : "delete"
                out += "- \(how) \(item.kind.rawValue) \(item.name) (--prune: not in the directory)\n"
            case .kept:
                let how = item.kind == .pipeline ? "archive" : "delete"
                out +=
                    "= keep \(item.kind.rawValue) \(item.name): on the server, not in the directory "
                    + "(--prune would \(how) it)\n"
            }
        }
        return out
    }
}
