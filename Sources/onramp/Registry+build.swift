import Foundation
import OnrampAgent
import OnrampConnectorKit
import OnrampCore
import OnrampConnectorsFiles
import OnrampConnectorsHTTP
import OnrampConnectorsS3
import OnrampConnectorsSQLite
import OnrampConnectorsPostgres
import OnrampTaxmanSandbox

extension ConnectorRegistry {
    /// Every connector this binary ships.
    static func build() -> ConnectorRegistry {
        var r = ConnectorRegistry()
        FileConnectors.register(into: &r)
        HTTPConnectors.register(into: &r)
        S3Connectors.register(into: &r)
        SQLiteConnectors.register(into: &r)
        PostgresConnectors.register(into: &r)
        SandboxConnectors.register(into: &r)
        AgentConnectors.register(into: &r)
        return r
    }
}

extension ConnectorResources {
    /// Resources for a pipeline file: relative paths in its config resolve against its directory.
    static func forPipeline(_ file: String) -> ConnectorResources {
        let directory = PathText.parent(file)
        return ConnectorResources(files: .local(directory.isEmpty ? "." : directory))
    }
}
