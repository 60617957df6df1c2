import Foundation
import Hummingbird
import OnrampConnectorKit
import OnrampCore
import OnrampEngine
import OnrampStore
import OnrampTransforms
#if canImport(Glibc)
import Glibc
#endif

/// A tenant's reference tables (the `lookup` step's `table: {reference: NAME}`): a CSV upload is checked (every row
/// read, a bad one named by its line) and becomes the next version; versions are listed and downloaded, never changed.
extension OnrampAPI {
    static let maxReferenceRows = 1_000_000

    func addReferenceTableRoutes(_ api: RouterGroup<OnrampRequestContext>) {
        api.get("/tenants/:tenant/reference-tables") { _, context in
            let area = try await fileArea(context, roles: Set(Role.allCases))
            let root = area.root + "/reference-tables"
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter(ReferenceTables.isValidName).sorted()
            return JSONResponse.make(["reference_tables": .array(names.map { Self.referenceValue($0, folder: "\(root)/\($0)") })])
        }
        api.get("/tenants/:tenant/reference-tables/:name") { _, context in
            let area = try await fileArea(context, roles: Set(Role.allCases))
            let name = try Self.referenceName(context)
            let folder = try Self.checked { try area.resolve(StepFactory.referenceFolder(name)) }
            guard !ReferenceTables.versions(inFolder: folder).isEmpty else { throw APIError.notFound("reference table \(name)") }
            return JSONResponse.make(Self.referenceValue(name, folder: folder))
        }
        api.get("/tenants/:tenant/reference-tables/:name/versions/:version") { _, context in
            let area = try await fileArea(context, roles: Set(Role.allCases))
            let name = try Self.referenceName(context)
            guard let version = context.parameters.get("version").flatMap(Int.init), version > 0 else {
                throw APIError(.unprocessableContent, "invalid", "a version is a whole number from 1", field: "version")
            }
            let path = try Self.checked { try area.resolve("\(StepFactory.referenceFolder(name))/v\(version).csv") }
            var st = stat()
            guard TenantFileArea.kind(path) == .file, lstat(path, &st) == 0 else {
                throw APIError.notFound("version \(version) of reference table \(name)")
            }
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"],
                            body: ResponseBody(contentLength: Int(st.st_size)) { writer in try await Self.send(path, to: &writer) })
        }
        api.put("/tenants/:tenant/reference-tables/:name") { request, context in
            let area = try await fileArea(context, roles: Self.fileWriters)
            let tenant = try context.tenant(allowing: Self.fileWriters)
            let name = try Self.referenceName(context)
            if let length = request.headers[.contentLength].flatMap(Int64.init), length > maxUploadBytes { throw tooLarge() }
            let folder = StepFactory.referenceFolder(name)
            let incoming = try Self.checked { try area.prepare("\(folder)/incoming-\(UUID().uuidString.lowercased()).upload") }
            defer { unlink(incoming) }
            let size = try await receive(request.body, into: incoming, tenant: tenant)
            let rows: Int
            var version: Int
            do {
                rows = try await checkReferenceCSV(incoming, tenant: tenant)
                let folderPath = PathText.parent(incoming)
                // The next version: link() refuses an existing name, so two uploads at once get two versions.
                version = (ReferenceTables.versions(inFolder: folderPath).last ?? 0) + 1
                while link(incoming, "\(folderPath)/v\(version).csv") != 0 {
                    guard errno == EEXIST, version < 1_000_000 else { throw Self.ioError("cannot store the version") }
                    version += 1
                }
            } catch {
                quota.add(tenant, -size)  // the upload is removed
                throw error
            }
            return JSONResponse.created(["name": .string(name), "version": .number(Double(version)), "rows": .number(Double(rows))],
                                        at: "/api/v1/tenants/\(tenant)/reference-tables/\(name)/versions/\(version)")
        }
    }

    /// Reads every row of an uploaded table with the `csv` connector; a bad row is a 422 naming its line.
    private func checkReferenceCSV(_ path: String, tenant: String) async throws -> Int {
        guard registry.sources["csv"] != nil else { throw APIError(.internalServerError, "reference.csv", "no csv connector") }
        let ref = PipelineSpec.ConnectorRef(connector: "csv", config: ["path": .string(path)], incremental: nil)
        var rows = 0
        do {
            var reader = try await registry.makeSource(ref, resources: ConnectorResources(files: .local("/")))
                .open(checkpoint: nil, batchSize: 1_000)
            do {
                while let batch = try await reader.next() {
                    if let bad = batch.errors.first {
                        throw APIError(.unprocessableContent, "reference.row",
                                       "line \(bad.position.line ?? 0): \(bad.message)", field: "body")
                    }
                    rows += batch.recordCount
                    guard rows <= Self.maxReferenceRows else {
                        throw APIError(.unprocessableContent, "reference.too_large",
                                       "a reference table has at most \(Self.maxReferenceRows) rows", field: "body")
                    }
                }
            } catch {
                await reader.close()
                throw error
            }
            await reader.close()
        } catch let e as OnrampError {
            throw APIError(.unprocessableContent, e.code, e.message, field: "body")
        }
        guard rows > 0 else { throw APIError(.unprocessableContent, "reference.empty", "the table has no rows", field: "body") }
        return rows
    }

    static func referenceName(_ context: OnrampRequestContext) throws -> String {
        let name = try context.parameters.require("name")
        guard ReferenceTables.isValidName(name) else {
            throw APIError(.unprocessableContent, "invalid", "a reference table name is a-z, 0-9, - and _ (at most 63)", field: "name")
        }
        return name
    }

    static func referenceValue(_ name: String, folder: String) -> Value {
        let versions = ReferenceTables.versions(inFolder: folder).map { v -> Value in
            var o = fileValue("v\(v).csv", path: "\(folder)/v\(v).csv")?.objectValue ?? [:]
            o["path"] = nil
            o["version"] = .number(Double(v))
            return .object(o)
        }
        return ["name": .string(name), "latest_version": versions.last?["version"] ?? .null, "versions": .array(versions)]
    }
}
