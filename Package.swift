// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Onramp",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "onramp", targets: ["onramp"]),
        // The connector SDK: what a connector package outside this repository depends on.
        .library(name: "OnrampConnectorKit", targets: ["OnrampConnectorKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.20.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.25.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.25.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.0"),
    ],
    targets: [
        .target(name: "OnrampCore", dependencies: [
            .product(name: "Collections", package: "swift-collections"),
        ]),
        // The evaluator's frames and sequences are classes touched on every step; their accesses are
        // confined to one evaluation, so release builds skip the dynamic exclusivity checks.
        .target(name: "OnrampExpression", dependencies: ["OnrampCore"],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        .target(name: "OnrampConnectorKit", dependencies: [
            "OnrampCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // The file formats every file source shares (local area, object stores, HTTPS downloads).
        // The system zlib (gzip files); a fresh machine needs `apt-get install -y zlib1g-dev`.
        .systemLibrary(name: "COnrampZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "OnrampFileFormats", dependencies: [
            "OnrampCore", "OnrampConnectorKit", "COnrampZlib",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .target(name: "OnrampConnectorsFiles", dependencies: ["OnrampConnectorKit", "OnrampFileFormats"]),
        // What the connector families over AsyncHTTPClient share: the redirect-free client, deadlines that cover
        // a body, streamed downloads, transport errors in words.
        .target(name: "OnrampHTTPSupport", dependencies: [
            "OnrampCore", "OnrampConnectorKit", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .target(name: "OnrampConnectorsHTTP", dependencies: [
            "OnrampConnectorKit", "OnrampExpression", "OnrampFileFormats", "OnrampHTTPSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Amazon S3 and S3-compatible stores (MinIO, Ceph, R2): SigV4 over AsyncHTTPClient, no AWS SDK.
        .target(name: "OnrampConnectorsS3", dependencies: [
            "OnrampConnectorKit", "OnrampFileFormats", "OnrampHTTPSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "OnrampConnectorsSQLite", dependencies: [
            "OnrampConnectorKit", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The connector of docs/connector-sdk.md: built and run through the conformance suite by the tests.
        .target(name: "OnrampExampleConnector", dependencies: ["OnrampCore", "OnrampConnectorKit"],
                path: "Examples/FixedWidthConnector"),
        .target(name: "OnrampConnectorsPostgres", dependencies: [
            "OnrampConnectorKit",
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ], swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // Plugins: Singer taps, Airbyte sources and Onramp-protocol programs run as connectors, each in a process of
        // its own (docs/plugin-protocol.md).
        .target(name: "OnrampPlugins", dependencies: [
            "OnrampCore", "OnrampConnectorKit", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "OnrampTransforms", dependencies: [
            "OnrampCore", "OnrampExpression", "OnrampConnectorKit", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "OnrampEngine", dependencies: [
            "OnrampCore", "OnrampExpression", "OnrampConnectorKit", "OnrampTransforms",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "OnrampScheduler", dependencies: [
            "OnrampCore", "OnrampStore", "OnrampEngine", "OnrampConnectorKit",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        .target(name: "OnrampStore", dependencies: ["OnrampCore"]),
        // The shared backend (docs/operations.md: running on PostgreSQL).
        .target(name: "OnrampStorePostgres", dependencies: [
            "OnrampCore", "OnrampStore", .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "OnrampStoreSQLite", dependencies: ["OnrampCore", "OnrampStore", .product(name: "GRDB", package: "GRDB.swift")]),
        // Run artifacts in S3 (docs/operations.md: the object store).
        .target(name: "OnrampStoreS3", dependencies: [
            "OnrampCore", "OnrampStore", "OnrampConnectorsS3",
            .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .target(name: "OnrampServer", dependencies: [
            "OnrampCore", "OnrampConnectorKit", "OnrampEngine", "OnrampTransforms", "OnrampStore", "OnrampScheduler",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], resources: [.copy("UI")]),
        // Pipelines as code (`onramp pull` / `onramp push`): the directory layout, the plan, a client of the REST API.
        .target(name: "OnrampDeploy", dependencies: [
            "OnrampCore", "OnrampEngine", .product(name: "Yams", package: "Yams"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // The edge agent: no server, UI, Hummingbird or PostgreSQL in it.
        .target(name: "OnrampAgent", dependencies: [
            "OnrampCore", "OnrampConnectorKit", "OnrampEngine", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "OnrampTaxmanSandbox", dependencies: [
            "OnrampCore", "OnrampConnectorKit",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .executableTarget(name: "onramp", dependencies: [
            "OnrampCore", "OnrampExpression", "OnrampConnectorKit", "OnrampConnectorsFiles",
            "OnrampConnectorsHTTP", "OnrampConnectorsS3", "OnrampConnectorsSQLite", "OnrampConnectorsPostgres",
            "OnrampTransforms", "OnrampEngine", "OnrampTaxmanSandbox", "OnrampStore", "OnrampStoreSQLite",
            "OnrampStorePostgres", "OnrampStoreS3", "OnrampScheduler", "OnrampServer", "OnrampPlugins", "OnrampDeploy",
            "OnrampAgent", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
        ]),
        .executableTarget(name: "jsonata-conformance", dependencies: ["OnrampCore", "OnrampExpression"]),
        .executableTarget(name: "onramp-bench", dependencies: [
            "OnrampCore", "OnrampExpression", "OnrampConnectorKit", "OnrampConnectorsFiles", "OnrampConnectorsHTTP",
            "OnrampTransforms", "OnrampEngine", "OnrampTaxmanSandbox", "OnrampStore", "OnrampStorePostgres",
            "OnrampStoreSQLite", "OnrampScheduler",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .testTarget(name: "OnrampConnectorTests", dependencies: [
            "OnrampCore", "OnrampConnectorKit", "OnrampFileFormats", "OnrampConnectorsFiles", "OnrampConnectorsHTTP",
            "OnrampConnectorsSQLite", "OnrampConnectorsPostgres", "OnrampConnectorsS3", "OnrampEngine",
            "OnrampExampleConnector", "OnrampPlugins", "OnrampTaxmanSandbox", "OnrampAgent",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .testTarget(name: "OnrampCoreTests", dependencies: ["OnrampCore"]),
        .testTarget(name: "OnrampAgentTests", dependencies: [
            "OnrampCore", "OnrampConnectorKit", "OnrampEngine", "OnrampAgent", "OnrampConnectorsFiles",
        ]),
        .testTarget(name: "OnrampDeployTests", dependencies: ["OnrampCore", "OnrampEngine", "OnrampDeploy"]),
        .testTarget(name: "OnrampPluginsTests", dependencies: [
            "OnrampCore", "OnrampConnectorKit", "OnrampPlugins", "OnrampEngine", "OnrampConnectorsFiles",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Plugins", "Fixtures"]),  // Fixtures: real PyPI plugins' transcripts (docs/plugins-pypi-notes.md)
        .testTarget(name: "OnrampSchedulerTests", dependencies: [
            "OnrampCore", "OnrampScheduler", "OnrampStore", "OnrampEngine", "OnrampConnectorKit", "OnrampConnectorsFiles",
        ]),
        .testTarget(name: "OnrampFileFormatsTests", dependencies: [
            "OnrampCore", "OnrampConnectorKit", "OnrampFileFormats", "OnrampConnectorsFiles", "OnrampEngine",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "OnrampStoreTests", dependencies: [
            "OnrampCore", "OnrampStore", "OnrampStoreSQLite", "OnrampStorePostgres",
            .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "OnrampServerTests", dependencies: [
            "OnrampCore", "OnrampServer", "OnrampStore", "OnrampScheduler", "OnrampConnectorKit", "OnrampConnectorsFiles",
            "OnrampAgent",
            "OnrampConnectorsHTTP", "OnrampTaxmanSandbox", "OnrampEngine", "OnrampHTTPSupport", "OnrampConnectorsS3",
            "OnrampStoreS3", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "OnrampConnectorsHTTPTests", dependencies: [
            "OnrampCore", "OnrampConnectorKit", "OnrampConnectorsHTTP", "OnrampHTTPSupport", "OnrampConnectorsFiles",
            "OnrampEngine", "OnrampTaxmanSandbox",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "OnrampExpressionTests", dependencies: ["OnrampCore", "OnrampExpression"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "OnrampConnectorsPostgresTests", dependencies: [
            "OnrampCore", "OnrampConnectorKit", "OnrampConnectorsPostgres", "OnrampEngine", "OnrampConnectorsHTTP",
            "OnrampConnectorsFiles", "OnrampTransforms", "OnrampTaxmanSandbox",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "OnrampConnectorsS3Tests", dependencies: [
            "OnrampCore", "OnrampConnectorKit", "OnrampConnectorsS3", "OnrampConnectorsHTTP", "OnrampConnectorsFiles",
            "OnrampFileFormats", "OnrampStore", "OnrampStoreS3",
            "OnrampEngine", "OnrampTaxmanSandbox",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "OnrampEngineTests", dependencies: [
            "OnrampCore", "OnrampExpression", "OnrampConnectorKit", "OnrampConnectorsFiles", "OnrampFileFormats",
            "OnrampConnectorsHTTP", "OnrampConnectorsSQLite", "OnrampTransforms", "OnrampEngine", "OnrampTaxmanSandbox",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
