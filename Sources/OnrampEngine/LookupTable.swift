import OnrampConnectorKit
import OnrampCore
import OnrampTransforms

/// Reads a `lookup` step's table from its source, whole: every record (up to the step's `max_rows`), or an error
/// that names the table and the bad row's place. Errors point at the step's `table`, not at the pipeline's source.
enum LookupTable {
    static func read(_ ref: PipelineSpec.ConnectorRef, for spec: PipelineSpec.StepSpec, registry: ConnectorRegistry,
                     resources: ConnectorResources) async throws -> [Value] {
        let at = "\(spec.path).table"
        let isFile = spec.config["table"]?["file"] != nil || spec.config["table"]?["reference"] != nil
        let maxRows = spec.config["max_rows"]?.numberValue.flatMap { $0.isFinite ? Int(min(max($0, 1), 5_000_000)) : nil }
            ?? 1_000_000
        do {
            guard registry.sources[ref.connector] != nil else {
                throw OnrampError("lookup.format", isFile ? "cannot read '\(ref.config["path"]?.stringValue ?? "")': its "
                                  + "extension names no file format (csv, json, ndjson, xml, xlsx)"
                                  : "unknown source connector '\(ref.connector)'", at: isFile ? "\(at).file" : "\(at).source")
            }
            var reader = try await registry.makeSource(ref, resources: resources).open(checkpoint: nil, batchSize: 1_000)
            var rows: [Value] = []
            do {
                while let batch = try await reader.next() {
                    if let bad = batch.errors.first {
                        throw OnrampError("lookup.table", "the table has a bad row at \(bad.position): \(bad.message)", at: at)
                    }
                    for r in batch.allRecords() {
                        guard rows.count < maxRows else {
                            throw OnrampError("lookup.too_large", "the table has more than \(maxRows) rows (max_rows)", at: at)
                        }
                        rows.append(r.value)
                    }
                }
            } catch {
                await reader.close()
                throw error
            }
            await reader.close()
            return rows
        } catch let e as OnrampError {
            throw relocate(e, spec)
        }
    }

    /// Builds (does not open) the table's source: checks its config and paths as a run would.
    static func check(_ ref: PipelineSpec.ConnectorRef, for spec: PipelineSpec.StepSpec, registry: ConnectorRegistry,
                      resources: ConnectorResources) throws {
        guard registry.sources[ref.connector] != nil else { return }
        do { _ = try registry.makeSource(ref, resources: resources) } catch let e as OnrampError { throw relocate(e, spec) }
    }

    /// An error of the table's source at the step's `table.file`, `.reference` or `.source…`, not at the pipeline's.
    static func relocate(_ e: OnrampError, _ spec: PipelineSpec.StepSpec) -> OnrampError {
        guard let location = e.location, location.hasPrefix("source") else { return e }
        let rest = location.dropFirst("source".count)
        let table = spec.config["table"]
        let named = table?["file"] != nil ? "file" : (table?["reference"] != nil ? "reference" : nil)
        if let named, rest.hasPrefix(".config.path") { return OnrampError(e.code, e.message, at: "\(spec.path).table.\(named)") }
        return OnrampError(e.code, e.message, at: "\(spec.path).table.source\(rest)")
    }

    /// The step's table source, a reference table's latest version looked up in the run's file area.
    static func source(_ spec: PipelineSpec.StepSpec, resources: ConnectorResources) throws -> PipelineSpec.ConnectorRef? {
        try StepFactory.tableSource(spec) { name in
            guard let latest = try ReferenceTables.versions(name, in: resources).last else {
                throw OnrampError("lookup.no_reference", "there is no reference table \(name) (upload one: PUT "
                                  + "/api/v1/tenants/{t}/reference-tables/\(name))", at: "\(spec.path).table.reference")
            }
            return latest
        }
    }
}
