import Foundation
import OnrampConnectorKit
import OnrampCore

extension RunSummary {
    /// The reconciliation download's columns (docs/pipeline-reference.md): the first two name the row, the rest
    /// are counts and exact decimal sums, empty where they do not apply to the row.
    public static let reconciliationColumns = [
        "scope", "currency", "rows_read", "records", "sent", "accepted", "refused", "routed", "routed_refused",
        "sent_amount", "sent_discount", "answered_amount", "answered_discount", "answered_taxable", "answered_exempt",
        "answered_tax", "unreadable_values",
    ]

    /// The reconciliation as CSV: a `run` row with the flow counts (rows read → records → sent → accepted / refused,
    /// and records routed to a route's second destination), then a `currency` row per currency with its
    /// transactions as sent / accepted / refused and the sums; `redact` hides secret values in currency names.
    public func reconciliationCSV(redact: Redactor = .none) -> String {
        let extractFailed = failedByStage[.extract] ?? 0
        func row(_ cells: [String: String]) -> String { CSVText.line(Self.reconciliationColumns.map { cells[$0] ?? "" }) }
        var out = CSVText.line(Self.reconciliationColumns)
        out += row(["scope": "run", "rows_read": "\(recordsRead)", "records": "\(recordsRead - extractFailed)",
                    "sent": "\(recordsSent)", "accepted": "\(recordsWritten)", "refused": "\(recordsSent - recordsWritten)",
                    "routed": "\(recordsRouted)", "routed_refused": "\(routedRefused)"])
        for (currency, t) in reconciliation?.byCurrency.sorted(by: { $0.key < $1.key }) ?? [] {
            out += row([
                "scope": "currency", "currency": Self.spreadsheetSafe(redact.string(currency)),
                "sent": "\(t.transactions)", "accepted": "\(t.calculated)", "refused": "\(t.refused)",
                "sent_amount": ExactDecimal.text(t.amount), "sent_discount": ExactDecimal.text(t.discount),
                "answered_amount": ExactDecimal.text(t.answeredAmount),
                "answered_discount": ExactDecimal.text(t.answeredDiscount), "answered_taxable": ExactDecimal.text(t.taxable),
                "answered_exempt": ExactDecimal.text(t.exempt), "answered_tax": ExactDecimal.text(t.tax),
                "unreadable_values": "\(t.unreadable)",
            ])
        }
        return out
    }

    /// Text from the data that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a `'`.
    static func spreadsheetSafe(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return text }
        return "'" + text
    }

    /// Writes the reconciliation CSV to `path`, owner-only, never through a symbolic link (replacing an earlier
    /// attempt's: the summary is this attempt's too).
    func writeReconciliation(to path: String, redact: Redactor) throws {
        let dir = PathText.parent(path)
        if !dir.isEmpty {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw OnrampError("run.output", "cannot write the reconciliation: \(String(cString: strerror(errno)))", at: path)
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(reconciliationCSV(redact: redact).utf8))
            try handle.close()
        } catch {
            throw OnrampError("run.output", "cannot write the reconciliation: \(error.localizedDescription)", at: path)
        }
    }
}
