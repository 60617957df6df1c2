import Foundation
import OnrampCore
import OnrampEngine
import OnrampStore
import Testing

/// deploy/: the Kubernetes manifests and the compose file are well-formed, hardened (non-root, read-only root
/// filesystem, no privilege escalation, probes on /readyz and /healthz), consistent with each other, and every
/// onramp flag they use is one the binary has; the image installs the libraries the binary links.
@Suite struct DeployFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let deploy = root.appendingPathComponent("deploy")

    static func documents(_ url: URL) throws -> [Value] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.components(separatedBy: "\n---\n").map { try PipelineLoader.document($0, file: url.lastPathComponent) }
    }

    /// The `--flags` of `onramp SUBCOMMAND --help`.
    static func flags(_ subcommand: String) throws -> Set<String> {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ProcessTests.binary)
        p.arguments = [subcommand, "--help"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return Set(text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," })
            .filter { $0.hasPrefix("--") }.map { String($0.prefix { $0 != "=" }) })
    }

    /// Every `--flag` of an onramp command line (`args`) is one its subcommand has.
    static func checkCommand(_ args: [String], in file: String) throws {
        guard let sub = args.first, ["serve", "worker"].contains(sub) else {
            Issue.record("\(file): \(args) does not start with serve or worker")
            return
        }
        let known = try flags(sub)
        for flag in args where flag.hasPrefix("--") {
            #expect(known.contains(flag), "\(file): onramp \(sub) has no \(flag)")
        }
    }

    static func strings(_ v: Value?) -> [String] { v?.arrayValue?.compactMap { $0.stringValue ?? $0.scalarText } ?? [] }

    @Test func theKubernetesManifestsAreHardenedAndConsistent() throws {
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build)")
            return
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.deploy.appendingPathComponent("k8s").path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        var docs: [(String, Value)] = []
        for f in files {
            for d in try Self.documents(Self.deploy.appendingPathComponent("k8s/\(f)")) { docs.append((f, d)) }
        }
        let apiVersions = ["Deployment": "apps/v1", "Service": "v1", "Secret": "v1", "PersistentVolumeClaim": "v1",
                           "ConfigMap": "v1", "ServiceAccount": "v1",
                           "HorizontalPodAutoscaler": "autoscaling/v2", "NetworkPolicy": "networking.k8s.io/v1",
                           "ScaledObject": "keda.sh/v1alpha1", "TriggerAuthentication": "keda.sh/v1alpha1"]
        func named(_ kind: String) -> [String: Value] {
            Dictionary(docs.filter { $0.1["kind"]?.stringValue == kind }.map { ($0.1["metadata"]?["name"]?.stringValue ?? "", $0.1) },
                       uniquingKeysWith: { a, _ in a })
        }
        for (file, d) in docs {
            let kind = d["kind"]?.stringValue ?? ""
            #expect(apiVersions[kind] != nil && d["apiVersion"]?.stringValue == apiVersions[kind], "\(file): \(kind)")
            let name = d["metadata"]?["name"]?.stringValue ?? ""
            #expect(name.isEmpty == false, "\(file): a \(kind) without a name")
        }
        let deployments = named("Deployment")
        #expect(Set(deployments.keys) == ["onramp-server", "onramp-worker"])
        for (name, d) in deployments {
            let pod = d["spec"]?["template"]?["spec"]
            let labels = d["spec"]?["template"]?["metadata"]?["labels"]?.objectValue ?? [:]
            for (k, v) in d["spec"]?["selector"]?["matchLabels"]?.objectValue ?? [:] { #expect(labels[k] == v, "\(name): \(k)") }
            #expect(pod?["securityContext"]?["runAsNonRoot"] == true && pod?["securityContext"]?["runAsUser"] == 10001, "\(name)")
            #expect(pod?["automountServiceAccountToken"] == false, "\(name)")
            if let account = pod?["serviceAccountName"]?.stringValue {
                #expect(named("ServiceAccount")[account] != nil, "\(name): no service account \(account)")
            }
            for map in (pod?["volumes"]?.arrayValue ?? []).compactMap({ $0["configMap"]?["name"]?.stringValue }) {
                #expect(named("ConfigMap")[map] != nil, "\(name): no config map \(map)")
            }
            let volumes = Set((pod?["volumes"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
            for claim in (pod?["volumes"]?.arrayValue ?? []).compactMap({ $0["persistentVolumeClaim"]?["claimName"]?.stringValue }) {
                #expect(named("PersistentVolumeClaim")[claim] != nil, "\(name): no claim \(claim)")
            }
            for c in pod?["containers"]?.arrayValue ?? [] {
                let security = c["securityContext"]
                #expect(security?["readOnlyRootFilesystem"] == true && security?["allowPrivilegeEscalation"] == false, "\(name)")
                #expect(Self.strings(security?["capabilities"]?["drop"]) == ["ALL"], "\(name)")
                #expect(c["readinessProbe"]?["httpGet"]?["path"] == "/readyz" && c["livenessProbe"]?["httpGet"]?["path"] == "/healthz")
                let ports = Set((c["ports"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
                #expect(ports.contains(c["readinessProbe"]?["httpGet"]?["port"]?.stringValue ?? "?"), "\(name): probe port")
                #expect(ports.contains(c["livenessProbe"]?["httpGet"]?["port"]?.stringValue ?? "?"), "\(name): probe port")
                for mount in c["volumeMounts"]?.arrayValue ?? [] {
                    #expect(volumes.contains(mount["name"]?.stringValue ?? "?"), "\(name): mount \(mount)")
                }
                for ref in (c["envFrom"]?.arrayValue ?? []).compactMap({ $0["secretRef"]?["name"]?.stringValue }) {
                    #expect(named("Secret")[ref] != nil, "\(name): no secret \(ref)")
                }
                let args = Self.strings(c["args"])
                try Self.checkCommand(args, in: "k8s/\(name)")
                if let i = args.firstIndex(of: "--shutdown-grace"), let grace = Double(args[i + 1]) {
                    let pod = pod?["terminationGracePeriodSeconds"]?.numberValue ?? 30
                    #expect(pod >= grace + 15, "\(name): the pod's grace period must outlast --shutdown-grace")
                }
            }
        }
        for (name, s) in named("Service") {
            let target = deployments.values.first { d in
                (s["spec"]?["selector"]?.objectValue ?? [:]).allSatisfy { d["spec"]?["template"]?["metadata"]?["labels"]?[$0.key] == $0.value }
            }
            #expect(target != nil, "service \(name) selects no deployment")
        }
        for ref in named("HorizontalPodAutoscaler").values.compactMap({ $0["spec"]?["scaleTargetRef"]?["name"]?.stringValue })
            + named("ScaledObject").values.compactMap({ $0["spec"]?["scaleTargetRef"]?["name"]?.stringValue }) {
            #expect(deployments[ref] != nil, "scales \(ref), which is not a deployment")
        }
        // The KEDA query counts states the store uses, in the table PostgreSQL holds runs in.
        let query = named("ScaledObject").values.first?["spec"]?["triggers"]?.arrayValue?.first?["metadata"]?["query"]?.stringValue ?? ""
        let schema = try String(contentsOf: Self.root.appendingPathComponent("Sources/OnrampStorePostgres/PostgresStore+Schema.swift"),
                                encoding: .utf8)
        #expect(query.contains("FROM runs WHERE state") && schema.contains("CREATE TABLE runs ("), "\(query)")
        for state in ["queued", "running"] {
            #expect(query.contains("'\(state)'") && RunState(rawValue: state) != nil, "\(state)")
        }
    }

    @Test func theComposeFileRunsAServerAndThreeHardenedWorkers() throws {
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build)")
            return
        }
        let compose = try #require(try Self.documents(Self.deploy.appendingPathComponent("compose.yaml")).first)
        /// A service with its `<<` merge keys applied (the explicit keys win).
        func service(_ name: String) -> Value.Object {
            func merged(_ o: Value.Object) -> Value.Object {
                var out = o["<<"]?.objectValue.map(merged) ?? [:]
                for (k, v) in o where k != "<<" { out[k] = v.objectValue.map { .object(merged($0)) } ?? v }
                return out
            }
            return merged(compose["services"]?[name]?.objectValue ?? [:])
        }
        #expect(Set(compose["services"]?.objectValue?.keys.map { $0 } ?? []) == ["postgres", "s3", "s3-bucket", "server", "worker"])
        #expect(service("server")["depends_on"]?["s3-bucket"]?["condition"] == "service_completed_successfully",
                "the server starts once the artifacts bucket exists")
        for name in ["server", "worker"] {
            let s = service(name)
            #expect(s["read_only"] == true && s["user"] == "10001:10001" && Self.strings(s["cap_drop"]) == ["ALL"], "\(name)")
            #expect(s["environment"]?["ONRAMP_STORE"]?.stringValue?.hasPrefix("postgres://") == true, "\(name): a shared store")
            try Self.checkCommand(Self.strings(s["command"]), in: "compose \(name)")
        }
        #expect(service("worker")["deploy"]?["replicas"] == 3)
        #expect(Self.strings(service("server")["command"]).contains("--workers"), "the server leaves runs to the workers")
    }

    static func runtime(_ stages: [String]) -> String { stages.last ?? "" }

    @Test func theImageInstallsWhatTheBinaryLinks() throws {
        let dockerfile = try String(contentsOf: Self.deploy.appendingPathComponent("Dockerfile"), encoding: .utf8)
        let stages = dockerfile.components(separatedBy: "\nFROM ")
        #expect(stages.count == 3 && dockerfile.contains("--static-swift-stdlib"), "a build stage and a runtime stage")
        // The build stage copies every folder a target of Package.swift lives in (SwiftPM checks them all).
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var folders: Set<String> = ["Sources", "Tests"]
        for line in manifest.split(separator: "\n") where line.contains("path: \"") {
            if let top = line.components(separatedBy: "path: \"").last?.split(separator: "/").first { folders.insert(String(top)) }
        }
        for folder in folders { #expect(stages[1].contains("COPY \(folder) ./\(folder)"), "deploy/Dockerfile does not copy \(folder)") }
        #expect(Self.runtime(stages).contains("Onramp_OnrampServer.resources"), "the web UI's files go next to the binary")
        let runtime = stages.last ?? ""
        #expect(runtime.hasPrefix("debian:bookworm-slim") && runtime.contains("USER 10001:10001"))
        let installed = Set(runtime.components(separatedBy: "--no-install-recommends").dropFirst().first?
            .prefix { $0 != "&" && $0 != "\\" }.split(separator: " ").map(String.init) ?? [])
        guard FileManager.default.isExecutableFile(atPath: ProcessTests.binary) else {
            Issue.record("build the onramp executable first (swift build)")
            return
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["readelf", "-d", ProcessTests.binary]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "readelf (binutils) is needed")
        // The static standard library takes the Swift runtime in; FoundationNetworking then links libcurl itself.
        let swiftRuntime = ["libswift", "libFoundation", "libdispatch", "libBlocksRuntime", "lib_Foundation"]
        let needed = text.split(separator: "\n").filter { $0.contains("(NEEDED)") }
            .compactMap { $0.split(separator: "[").last?.split(separator: "]").first.map(String.init) }
            .filter { name in !swiftRuntime.contains { name.hasPrefix($0) } } + ["libcurl.so.4"]
        let packages = ["libsqlite3.so.0": "libsqlite3-0", "libz.so.1": "zlib1g", "libcurl.so.4": "libcurl4"]
        let base: Set<String> = ["libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2", "libstdc++.so.6", "libgcc_s.so.1",
                                 "ld-linux-aarch64.so.1"]
        #expect(needed.contains("libsqlite3.so.0"), "\(needed)")
        for soname in needed where !base.contains(soname) {
            guard let package = packages[soname] else {
                Issue.record("onramp links \(soname): add its Debian package to deploy/Dockerfile and to this test's table")
                continue
            }
            #expect(installed.contains(package), "deploy/Dockerfile does not install \(package) (for \(soname)): \(installed)")
        }
        #expect(installed.contains("ca-certificates"), "TLS to S3, KMS, PostgreSQL and tenants' APIs needs the CA roots")
    }
}
