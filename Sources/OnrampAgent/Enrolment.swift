import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import OnrampCore

/// An agent's enrolment: the one-time token an admin got from the platform, exchanged (once) for the agent's own push
/// key, kept owner-only in the spool folder (`agent.json`), where `onramp agent` finds it.
public enum Enrolment {
    public struct Stored: Sendable {
        public let server: String
        public let agentId: String
        public let pushKey: String
        /// The CA file the enrolment trusted, trusted again for that server.
        public let caFile: String?
    }

    static func path(_ spool: String) -> String { "\(spool)/agent.json" }

    /// The enrolment kept in `spool`, if any.
    public static func stored(in spool: String) -> Stored? {
        guard let data = FileManager.default.contents(atPath: path(spool)), let v = try? JSONParser.parse([UInt8](data)),
              let server = v["server"]?.stringValue, let id = v["agent_id"]?.stringValue, let key = v["push_key"]?.stringValue
        else { return nil }
        return Stored(server: server, agentId: id, pushKey: key, caFile: v["ca_file"]?.stringValue)
    }

    /// Exchanges `token` at `server` and keeps the agent's key in `spool`; the agent's id.
    public static func enrol(server: String, token: String, caFile: String?, spool: String) async throws -> String {
        let http = try Pusher.client(server: server, caFile: caFile)
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        var request = HTTPClientRequest(url: base + "/api/v1/agent/enrol")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: JSONWriter.string(["token": .string(token)])))
        let answer: Value?
        let status: UInt
        do {
            let response = try await http.execute(request, timeout: .seconds(30))
            status = response.status.code
            answer = try? JSONParser.parse([UInt8](buffer: try await response.body.collect(upTo: 1 << 16)))
        } catch {
            try? await http.shutdown()
            throw OnrampError("agent.enrol", "no answer from \(base): \(error)", at: "--server")
        }
        try? await http.shutdown()
        guard status == 200, let id = answer?["agent_id"]?.stringValue, let key = answer?["push_key"]?.stringValue else {
            let message = answer?["error"]?["message"]?.stringValue ?? "status \(status)"
            throw OnrampError("agent.enrol", "the platform refused the enrolment: \(message)", at: "--token")
        }
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var stored: Value.Object = ["server": .string(base), "agent_id": .string(id), "push_key": .string(key)]
        if let caFile { stored["ca_file"] = .string(URL(fileURLWithPath: caFile).standardizedFileURL.path) }
        try Spool.writeDurably(Data(JSONWriter.string(.object(stored)).utf8), to: path(spool))
        // What an earlier enrolment in this folder was given and asked for is not this agent's.
        for old in [RemotePipeline.path(spool), RunRequestLedger.path(spool)] { unlink(old) }
        return id
    }
}
