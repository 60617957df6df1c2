import OnrampConnectorKit
import OnrampConnectorsFiles
import OnrampConnectorsHTTP

extension ConnectorRegistry {
    /// Every connector this binary ships.
    static func build() -> ConnectorRegistry {
        var r = ConnectorRegistry()
        FileConnectors.register(into: &r)
        HTTPConnectors.register(into: &r)
        return r
    }
}
