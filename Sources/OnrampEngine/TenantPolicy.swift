import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore

/// What a tenant's pipeline may reach on the server, decided in this one place for runs, previews,
/// validation and connection checks: its own file area (plus read-only roots the operator mounted for
/// it), only the environment variables the operator exposed, its own secrets only inside connector
/// config fields marked secret, and the network the egress policy allows.
public struct TenantPolicy: Sendable {
    public var dataDirectory: String
    /// The variables `${env:NAME}` may read on the server, with their values (`--expose-env`).
    public var exposedEnvironment: [String: String]
    /// Extra read-only roots per tenant (`--tenant-mount TENANT=PATH`).
    public var readOnlyRoots: [String: [String]]
    public var egress: EgressPolicy
    /// A secret bound to no origin may go wherever a config sends it (`--allow-unbound-secrets`, for data
    /// directories from before secrets had origins); by default it goes nowhere a config names.
    public var allowUnboundSecrets: Bool

    public init(dataDirectory: String, exposedEnvironment: [String: String] = [:], readOnlyRoots: [String: [String]] = [:],
                egress: EgressPolicy = EgressPolicy(), allowUnboundSecrets: Bool = false) {
        self.dataDirectory = dataDirectory
        self.exposedEnvironment = exposedEnvironment
        self.readOnlyRoots = readOnlyRoots
        self.egress = egress
        self.allowUnboundSecrets = allowUnboundSecrets
    }

    static let envHint = "is not exposed to pipelines on this server (the operator exposes variables with --expose-env)"

    public func fileArea(tenant: String) -> FileArea {
        .confined(TenantFileArea.root(dataDirectory: dataDirectory, tenant: tenant), readOnlyRoots: readOnlyRoots[tenant] ?? [])
    }

    public func resources(tenant: String, logger: Logger = Logger(label: "onramp.connector")) -> ConnectorResources {
        ConnectorResources(logger: logger, files: fileArea(tenant: tenant), egress: egress)
    }

    /// The spec a tenant's document (connections expanded) runs as, and the document with its
    /// placeholders resolved under this policy (what a worker process is handed: nothing left to substitute).
    public func resolve(_ document: Value, secrets: [String: TenantSecret], registry: ConnectorRegistry,
                        file: String = "pipeline") throws -> (spec: PipelineSpec, document: Value) {
        do {
            try checkReferences(document, secrets: secrets.mapValues(\.origins), registry: registry)
            let resolved = try Placeholders.substitute(document, values: ["env": exposedEnvironment,
                                                                          "secret": secrets.mapValues(\.value)],
                                                       envHint: Self.envHint)
            return (try PipelineSpec(from: resolved), resolved)
        } catch let e as OnrampError {
            throw OnrampError(e.code, e.message, at: "\(file): \(e.location ?? "")")
        }
    }

    /// A connection's `{side, connector, config, incremental}` with its placeholders resolved under this
    /// policy, as a check or discover hands it to a worker process.
    public func resolveConnector(side: ConnectorRegistry.Side, connector: String, config: Value, incremental: Value? = nil,
                                 secrets: [String: TenantSecret], registry: ConnectorRegistry) throws -> Value {
        let reference: Value = ["connector": .string(connector), "config": config]
        try checkReferences([side.rawValue: reference], secrets: secrets.mapValues(\.origins), registry: registry)
        let resolved = try Placeholders.substitute(config, path: "\(side.rawValue).config",
                                                   values: ["env": exposedEnvironment,
                                                            "secret": secrets.mapValues(\.value)],
                                                   envHint: Self.envHint)
        return ["side": .string(side.rawValue), "connector": .string(connector), "config": resolved,
                "incremental": incremental ?? .null]
    }

    /// Every `${env:…}` names an exposed variable, every `${secret:…}` sits in a secret field and, when
    /// `secrets` (name to origins) is given, names a secret the tenant has, sent only to its origins.
    /// Errors name the path, never a value.
    public func checkReferences(_ document: Value, secrets: [String: [String]]?, registry: ConnectorRegistry) throws {
        try Placeholders.checkSecretPlacement(document, registry: registry)
        let secretNames = secrets.map { Set($0.keys) }
        for r in Placeholders.locatedReferences(in: document) {
            if r.kind == "env", exposedEnvironment[r.name] == nil {
                throw OnrampError("spec.env", "environment variable \(r.name) \(Self.envHint)", at: r.path)
            }
            if r.kind == "secret", let secretNames, !secretNames.contains(r.name) {
                throw OnrampError("spec.secret", "secret \(r.name) is not defined for this tenant; known: "
                                  + "\(secretNames.sorted().joined(separator: ", "))", at: r.path)
            }
        }
        // Secrets go only to their origins on the server; the operator's CLI runs (`unrestricted`) are not bound.
        if let secrets, egress.restricted {
            let known = try Placeholders.substitute(document, values: ["env": exposedEnvironment],
                                                    leaving: ["secret", "param"])
            try SecretBinding.check(document, resolved: known, origins: secrets, allowUnbound: allowUnboundSecrets,
                                    registry: registry)
        }
    }
}
