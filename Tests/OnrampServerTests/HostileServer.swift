import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OnrampCore
import Testing

/// A real `onramp serve` for the hostile-tenant suite: two tenants (`acme`, `bobco`) with their own
/// `tenant_admin` keys, plain HTTP calls that keep the raw body, and what a leak check needs.
struct HostileServer {
    static let admin = ProcessTests.adminKey
    /// Server environment a tenant must never read, and the one the operator exposes.
    static let hiddenEnv = ["ONRAMP_HOSTILE_HIDDEN": "hidden-server-env-value-91"]
    static let exposedEnv = ["ONRAMP_HOSTILE_EXPOSED": "exposed-env-value-77"]
    static let secret = "s3cr3t-TOKEN-value-4242"
    static let outside = "OUTSIDE-CONTENT-5d1f"

    struct Reply {
        let status: Int
        let data: Data
        var body: String { String(decoding: data, as: UTF8.self) }
        var json: Value? { try? JSONParser.parse([UInt8](data)) }
        var code: String? { json?["error"]?["code"]?.stringValue }
        var field: String? { json?["error"]?["field"]?.stringValue }
    }

    let dir: URL
    let args: [String]
    var child: ProcessTests.Child
    var base: String
    var keys: [String: String] = [:]
    var data: URL { dir.appendingPathComponent("data") }
    var api: String { base + "/api/v1" }

    func area(_ tenant: String) -> URL { data.appendingPathComponent("tenants/\(tenant)/files") }

    /// Starts `serve` on `<dir>/data` with `flags`; tenants and keys are made by `setUp()`.
    static func start(_ dir: URL, _ flags: [String], log: String = "serve.log") async throws -> HostileServer {
        let args = ["serve", "--data", dir.appendingPathComponent("data").path, "--port", "0"] + flags
        let env = ["ONRAMP_ADMIN_KEY": admin].merging(hiddenEnv) { a, _ in a }.merging(exposedEnv) { a, _ in a }
        let child = try ProcessTests.Child(args, env: env, log: dir.appendingPathComponent(log))
        let base = "http://127.0.0.1:\(try await child.port())"
        return HostileServer(dir: dir, args: args, child: child, base: base)
    }

    /// Stops the server with SIGTERM and starts it again on the same data directory.
    mutating func restart() async throws {
        child.stop()
        let env = ["ONRAMP_ADMIN_KEY": Self.admin].merging(Self.hiddenEnv) { a, _ in a }.merging(Self.exposedEnv) { a, _ in a }
        child = try ProcessTests.Child(args, env: env, log: dir.appendingPathComponent("serve-restarted.log"))
        base = "http://127.0.0.1:\(try await child.port())"
    }

    mutating func setUp() async throws {
        for tenant in ["acme", "bobco"] {
            #expect(try await call("POST", "/tenants", key: Self.admin, json: ["id": .string(tenant)]).status == 201)
            let made = try await call("POST", "/tenants/\(tenant)/api-keys", key: Self.admin,
                                      json: ["name": .string("\(tenant) admin"), "role": "tenant_admin"])
            keys[tenant] = try #require(made.json?["key"]?.stringValue)
        }
    }

    /// `path` under `/api/v1` (or a full URL); `json` or `raw` as the body.
    func call(_ method: String, _ path: String, key: String?, json: Value? = nil, raw: Data? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: path.hasPrefix("http") ? path : api + path)!)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let json { request.httpBody = Data(JSONWriter.string(json).utf8) }
        if let raw { request.httpBody = raw }
        let (body, response) = try await URLSession.shared.data(for: request)
        return Reply(status: (response as! HTTPURLResponse).statusCode, data: body)
    }

    func preview(_ tenant: String, _ document: Value) async throws -> Reply {
        try await call("POST", "/tenants/\(tenant)/preview", key: keys[tenant], json: ["document": document, "limit": 5])
    }

    /// Saves `document` as the platform admin (an engineer's save) and runs it with the tenant's key.
    func run(_ tenant: String, _ document: Value) async throws -> String {
        let saved = try await call("POST", "/tenants/\(tenant)/pipelines", key: Self.admin, json: document)
        #expect(saved.status == 201, "\(saved.body)")
        let pid = try #require(saved.json?["id"]?.stringValue)
        let queued = try await call("POST", "/tenants/\(tenant)/pipelines/\(pid)/runs", key: keys[tenant])
        #expect(queued.status == 202, "\(queued.body)")
        return try #require(queued.json?["id"]?.stringValue)
    }

    /// The run's detail once it has ended; /healthz is asked meanwhile and must answer.
    func finished(_ tenant: String, _ run: String, seconds: Double = 40) async throws -> Value {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            try await expectHealthy()
            let detail = try await call("GET", "/tenants/\(tenant)/runs/\(run)", key: keys[tenant]).json
            if let state = detail?["state"]?.stringValue, state != "queued", state != "running" { return detail! }
            try await Task.sleep(for: .milliseconds(150))
        }
        Issue.record("run \(run) did not end within \(seconds) s")
        return .null
    }

    /// /healthz answers, and not after a tenant's work held it up (a liveness bound, generous for a loaded machine).
    func expectHealthy(within limit: Duration = .seconds(10)) async throws {
        let started = ContinuousClock.now
        let status: Int
        do { status = try await call("GET", base + "/healthz", key: nil).status } catch {
            if Task.isCancelled { throw error }  // the caller stopped watching; not the server's failure
            Issue.record("/healthz does not answer (\(error.localizedDescription)); the server's log ends: \(logTail())")
            throw error
        }
        let took = ContinuousClock.now - started
        #expect(status == 200)
        #expect(took < limit, "/healthz took \(took)")
    }

    /// The last lines of the server's log, stack frames left out.
    func logTail() -> String {
        let log = (try? String(contentsOf: child.log, encoding: .utf8)) ?? ""
        return log.split(separator: "\n").filter { !$0.contains("<unavailable>") }.suffix(8).joined(separator: "\n")
    }

    /// The run's log, error report (CSV and JSON) and detail, as one text to search.
    func artifacts(_ tenant: String, _ run: String) async throws -> String {
        var text = ""
        for suffix in ["", "/logs", "/errors", "/errors?format=json", "/results"] {
            text += try await call("GET", "/tenants/\(tenant)/runs/\(run)\(suffix)", key: keys[tenant]).body + "\n"
        }
        return text
    }

    /// The master key's file: `master.key` until a server moved it into its keyring, `keys/<id>.key` after.
    static func masterKeyFile(_ data: URL) -> String? {
        let keys = data.appendingPathComponent("keys").path
        if let name = (try? FileManager.default.contentsOfDirectory(atPath: keys))?.first(where: { $0.hasSuffix(".key") }) {
            return keys + "/" + name
        }
        let legacy = data.appendingPathComponent("master.key").path
        return FileManager.default.fileExists(atPath: legacy) ? legacy : nil
    }

    /// Nothing of the server's environment, keys, a tenant secret or a file outside the area in `text`.
    func expectNoLeak(_ text: String, _ what: String) {
        let masterKey = Self.masterKeyFile(data).flatMap { FileManager.default.contents(atPath: $0) } ?? Data()
        for needle in [Self.admin, Self.hiddenEnv.values.first!, Self.secret, Self.outside, "root:x:0:0",
                       masterKey.base64EncodedString(), Hex.string(masterKey)] where !needle.isEmpty {
            #expect(!text.contains(needle), "\(what) leaks \(needle.prefix(12))…: \(text.prefix(400))")
        }
        if !masterKey.isEmpty { #expect(Data(text.utf8).range(of: masterKey) == nil, "\(what) leaks the master key's bytes") }
    }

    /// Every file under the data directory (but the database, whose size and mtime move) with its
    /// contents; symbolic links by their target.
    func snapshot() -> [String: Data] {
        var out: [String: Data] = [:]
        let fm = FileManager.default
        guard let walk = fm.enumerator(atPath: data.path) else { return out }
        while let relative = walk.nextObject() as? String {
            if (relative as NSString).lastPathComponent.hasPrefix("onramp.sqlite") { continue }
            let path = data.path + "/" + relative
            if let target = try? fm.destinationOfSymbolicLink(atPath: path) {
                out[relative] = Data("link to \(target)".utf8)
                walk.skipDescendants()
                continue
            }
            var isFolder: ObjCBool = false
            _ = fm.fileExists(atPath: path, isDirectory: &isFolder)
            out[relative] = isFolder.boolValue ? Data("folder".utf8) : fm.contents(atPath: path) ?? Data("unreadable".utf8)
        }
        return out
    }

    static func pipeline(_ name: String, source: Value, steps: Value = [], destination: Value? = nil) -> Value {
        ["version": 1, "name": .string(name), "source": source, "steps": steps,
         "destination": destination ?? ["connector": "file", "config": ["path": .string("out/\(name).ndjson")]]]
    }

    static func csv(_ path: String) -> Value { ["connector": "csv", "config": ["path": .string(path)]] }

    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    static func temporaryDirectory(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onramp-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// A TCP listener on 127.0.0.1 that never answers: it only counts the connections that reached it.
final class LoopbackListener: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 64) == 0 else { throw OnrampError("test.listen", "cannot listen on loopback") }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: actual.sin_port))
        _ = fcntl(fd, F_SETFL, O_NONBLOCK)
    }

    /// Connections accepted since the last call.
    func connections() -> Int {
        var count = 0
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return count }
            close(client)
            count += 1
        }
    }

    /// Connects once itself: proves `connections()` sees a connection that reached the port.
    func probe() -> Bool {
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    deinit { close(fd) }
}
