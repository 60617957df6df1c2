import OnrampCore

/// What a run checks as its source's records come in, against the last successful run's schema: a field the steps
/// read that the first batch has in none of its records fails the run there (the mapping would turn it into a
/// thousand null-driven refusals), and under `schema_drift: fail` any drift does.
struct DriftWatch: Sendable {
    let baseline: ObservedSchema
    let policy: PipelineSpec.DriftPolicy
    /// The source fields the steps read, each with the first step that reads it.
    let reads: [(field: String, step: String)]

    /// Checks the records observed so far; `first`: they are the first batch's.
    func check(_ observed: ObservedSchema, first: Bool) throws(OnrampError) {
        guard policy != .ignore, observed.records > 0 else { return }
        if first {
            for (field, step) in reads where observed.fields[field] == nil {
                guard let had = baseline.fields[field], had.present == baseline.records else { continue }
                throw OnrampError("schema.field_gone", "the source no longer has the field \(field), which \(step) reads: "
                                  + "none of the first \(observed.records) records has it, and every record of the last "
                                  + "successful run had it", at: step)
            }
        }
        if policy == .fail {
            let drift = SchemaDrift.between(baseline, observed, complete: false)
            if !drift.isEmpty {
                throw OnrampError("schema.drift", "the source's \(drift.description) since the last successful run "
                                  + "(schema_drift: fail)", at: "source")
            }
        }
    }
}
