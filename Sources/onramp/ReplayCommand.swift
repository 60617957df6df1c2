import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OnrampCore

/// What the error-queue commands share: the server, the tenant and the API key (`--api-key` or `$ONRAMP_API_KEY`).
struct ServerOptions: ParsableArguments {
    @Option(help: "The Onramp server (https://onramp.example.com).") var server: String
    @Option(help: "The tenant.") var tenant: String
    @Option(help: "An API key (default: $ONRAMP_API_KEY).") var apiKey: String?

    /// Calls `/api/v1/tenants/<tenant>/<path>`; a server error is printed and exits 1.
    func call(_ method: String, _ path: String, body: Value? = nil) async throws -> Value {
        guard let key = apiKey ?? ProcessInfo.processInfo.environment["ONRAMP_API_KEY"] else {
            throw ValidationError("give an API key: --api-key or ONRAMP_API_KEY")
        }
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        guard let url = URL(string: "\(base)/api/v1/tenants/\(tenant)/\(path)") else { throw ValidationError("not a URL: \(server)") }
        var request = URLRequest(url: url, timeoutInterval: 60)
        request.httpMethod = method
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(JSONWriter.string(body).utf8)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let answer = (try? JSONParser.parse([UInt8](data))) ?? .null
        guard (200..<300).contains(status) else {
            let e = answer["error"]
            report(OnrampError(e?["code"]?.stringValue ?? "http.\(status)", e?["message"]?.stringValue ?? "HTTP \(status)",
                               at: e?["field"]?.stringValue))
            throw ExitCode(1)
        }
        return answer
    }
}

/// `onramp replay`: replays failed records of the error queue through the server's API, as a new run.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay open failed records of a run (or chosen ones) through the pipeline's current version, on the server.")
    @OptionGroup var target: ServerOptions
    @Option(name: .customLong("run"), help: "The run whose open failed records are replayed.") var runId: String?
    @Option(help: "Only the failed records with this code (with --run).") var code: String?
    @Option(help: "Only the failed records of this step (with --run).") var step: String?
    @Option(parsing: .upToNextOption, help: "The error ids to replay (instead of --run).") var ids: [String] = []
    @Flag(help: "Wait for the replay run to end and print its summary.") var wait = false

    func run() async throws {
        let body: Value
        if !ids.isEmpty {
            guard runId == nil, code == nil, step == nil else { throw ValidationError("--ids takes no --run, --code or --step") }
            body = ["ids": .array(ids.map(Value.string))]
        } else if let runId {
            var filter: Value.Object = ["run_id": .string(runId)]
            if let code { filter["code"] = .string(code) }
            if let step { filter["step"] = .string(step) }
            body = ["filter": .object(filter)]
        } else {
            throw ValidationError("give --run RUN (with --code, --step) or --ids ID...")
        }
        var replay = try await target.call("POST", "errors/replay", body: body)
        let id = replay["id"]?.stringValue ?? ""
        let origin = replay["origin"]?.stringValue ?? "?"
        print("replay run \(id) queued (pipeline \(replay["pipeline_id"]?.stringValue ?? "?"), from run \(origin))")
        guard wait else { return }
        while replay["state"] == "queued" || replay["state"] == "running" {
            try await Task.sleep(for: .milliseconds(500))
            replay = try await target.call("GET", "runs/\(id)")
        }
        let s = replay["summary"]
        func n(_ v: Value?) -> Int { Int(v?.numberValue ?? 0) }
        print("replay run \(id) \(replay["state"]?.stringValue ?? "?"): \(n(s?["records_read"])) replayed, "
              + "\(n(s?["error_queue"]?["resolved"])) resolved, \(n(s?["records_failed"])) failed again")
        if replay["state"] == "failed" || replay["state"] == "cancelled" { throw ExitCode(1) }
    }
}

/// `onramp errors`: the error queue on the server, counted by code, step and field.
struct ErrorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "errors", abstract: "The server's error queue for a tenant, counted by code, step and field.")
    @OptionGroup var target: ServerOptions
    @Option(name: .customLong("run"), help: "Only this run's failed records.") var runId: String?
    @Option(help: "Only failed records in this state (open, resolved, ignored).") var state: String?

    func run() async throws {
        var query: [String] = []
        if let runId { query.append("run_id=\(runId.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? runId)") }
        if let state { query.append("state=\(state.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? state)") }
        let answer = try await target.call("GET", "error-groups" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
        for g in answer["groups"]?.arrayValue ?? [] { print(g["label"]?.stringValue ?? "") }
    }
}
