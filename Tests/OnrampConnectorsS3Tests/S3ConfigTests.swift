import Foundation
import OnrampConnectorKit
@testable import OnrampConnectorsS3
import OnrampCore
import Testing

/// Building `s3` connectors: config checks and where credentials may come from (no server needed).
struct S3ConfigTests {
    @Test func formatOptionsAreCheckedAgainstTheFormat() throws {
        let registry = MotoS3.registry()
        func build(_ extra: Value.Object) throws {
            var config: Value.Object = ["bucket": "orders-eu", "access_key_id": "AKIA", "secret_access_key": "s"]
            for (k, v) in extra { config[k] = v }
            _ = try registry.makeSource(.init(connector: "s3", config: .object(config), incremental: nil),
                                        resources: ConnectorResources())
        }
        let wrongFormat = #expect(throws: OnrampError.self) { try build(["format": "ndjson", "delimiter": ";"]) }
        #expect(wrongFormat?.code == "config.unknown_key")
        #expect(wrongFormat?.location == "source.config.delimiter")
        let badDelimiter = #expect(throws: OnrampError.self) { try build(["format": "csv", "delimiter": ";;"]) }
        #expect(badDelimiter?.location == "source.config.delimiter")
        let overlap = #expect(throws: OnrampError.self) {
            try build(["format": "csv", "prefix": "in/", "after_read": ["move_to_prefix": "in/done/"]])
        }
        #expect(overlap?.location == "source.config.after_read.move_to_prefix")
        let badBucket = #expect(throws: OnrampError.self) { try build(["format": "csv", "bucket": "../etc"]) }
        #expect(badBucket?.location == "source.config.bucket")
        try build(["format": "csv", "delimiter": ";"])
    }

    @Test func serverRunsDoNotTakeCredentialsFromTheEnvironment() throws {
        let confined = ConnectorResources(files: .confined("/tmp/onramp-no-such-area"), egress: EgressPolicy())
        let spec = PipelineSpec.ConnectorRef(connector: "s3", config: ["bucket": "orders-eu", "format": "csv"], incremental: nil)
        setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENV", 1)
        setenv("AWS_SECRET_ACCESS_KEY", "from-env", 1)
        defer { unsetenv("AWS_ACCESS_KEY_ID"); unsetenv("AWS_SECRET_ACCESS_KEY") }
        let refused = #expect(throws: OnrampError.self) { try MotoS3.registry().makeSource(spec, resources: confined) }
        #expect(refused?.code == "s3.credentials")
        #expect(refused?.location == "source.config.access_key_id")
        // A CLI run (local files, unrestricted egress) takes them.
        _ = try MotoS3.registry().makeSource(spec, resources: ConnectorResources())
    }
}
