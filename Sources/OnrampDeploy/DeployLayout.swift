import Foundation
import OnrampCore
import OnrampEngine

/// The directory pipelines-as-code writes and reads (docs/pipelines-as-code.md):
/// `connections/<name>.yaml`, `templates/<name>.yaml`, `pipelines/<name>.yaml`, `schedules/<pipeline>.yaml`.
/// A name becomes a file name with every byte outside `A-Z a-z 0-9 _ -` (and `.` after the first) written as
/// `%XX`, so no name, however hostile, names a path outside its folder; the name inside the file is what counts.
/// Pipeline test files beside them (`NAME.tests.yaml`) are neither read nor removed.
public enum DeployLayout {
    public static let folders = ["connections", "templates", "pipelines", "schedules"]
    /// The largest file read (the server takes documents up to 4 MiB).
    static let maxFileBytes = 4 << 20

    public static func fileName(_ name: String) -> String {
        var out = ""
        for (i, byte) in name.utf8.enumerated() {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80 && (c.isLetter || c.isNumber || c == "_" || c == "-" || (c == "." && i > 0)) {
                out.append(c)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        // `NAME.tests.yaml` is a pipeline's test file (docs/testing-pipelines.md), never an item.
        if out.hasSuffix(".tests") { out = String(out.dropLast(6)) + "%2Etests" }
        return (out.isEmpty ? "%" : out) + ".yaml"
    }

    /// A file of the layout: `.yaml`, not hidden, not a pipeline's tests (`NAME.tests.yaml`).
    static func isItemFile(_ entry: String) -> Bool {
        entry.hasSuffix(".yaml") && !entry.hasPrefix(".") && !entry.hasSuffix(".tests.yaml")
    }

    /// Every file of `state`, by its path relative to the directory, as YAML.
    public static func files(_ state: DeployState) throws -> [String: String] {
        var files: [String: String] = [:]
        for (name, c) in state.connections { files["connections/" + fileName(name)] = try text(c) }
        for (name, t) in state.templates { files["templates/" + fileName(name)] = try text(t) }
        for (name, document) in state.pipelines {
            files["pipelines/" + fileName(name)] = try text(pipeline: document, name: name)
        }
        for (pipeline, list) in state.schedules where !list.isEmpty {
            files["schedules/" + fileName(pipeline)] = try text(schedules: list, pipeline: pipeline)
        }
        return files
    }

    public static func text(_ c: ConnectionDefinition) throws -> String {
        try YAMLWriter.text(
            ["name": .string(c.name), "connector": .string(c.connector), "config": c.config],
            file: "connections/" + fileName(c.name))
    }

    public static func text(_ t: TemplateDefinition) throws -> String {
        try YAMLWriter.text(
            [
                "name": .string(t.name), "description": .string(t.description),
                "document": PipelineDocument.canonical(t.document),
            ], file: "templates/" + fileName(t.name))
    }

    public static func text(pipeline document: Value, name: String) throws -> String {
        try YAMLWriter.text(PipelineDocument.canonical(document), file: "pipelines/" + fileName(name))
    }

    public static func text(schedules: [ScheduleDefinition], pipeline: String) throws -> String {
        let items: [Value] = schedules.sorted(by: ScheduleDefinition.precedes).map {
            ["cron": .string($0.cron), "timezone": .string($0.timezone), "enabled": .bool($0.enabled)]
        }
        return try YAMLWriter.text(
            ["pipeline": .string(pipeline), "schedules": .array(items)],
            file: "schedules/" + fileName(pipeline))
    }
}
