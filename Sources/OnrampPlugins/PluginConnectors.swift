import Foundation
import Logging
import OnrampConnectorKit
import OnrampCore

/// Registers every plugin installed in a plugins directory (one folder per plugin with its `plugin.json`) as a
/// connector named after it: sources for every protocol, destinations for Onramp-protocol plugins that declare one.
public enum PluginConnectors {
    /// What `register` found: the plugins loaded, and the folders it skipped with why.
    public struct Loaded: Sendable {
        public var plugins: [(manifest: PluginManifest, directory: String)] = []
        public var skipped: [(directory: String, error: OnrampError)] = []
    }

    /// Loads every manifest under `directory` (sorted by folder name); a plugin whose name a connector
    /// already has is skipped, never replacing it.
    @discardableResult
    public static func register(into registry: inout ConnectorRegistry, directory: String,
                                runAs: PluginLaunch.RunAs? = .hostDefault) -> Loaded {
        var loaded = Loaded()
        for (manifest, dir) in PluginDirectory(directory).installed(skipped: &loaded.skipped) {
            if registry.sources[manifest.name] != nil || registry.destinations[manifest.name] != nil {
                loaded.skipped.append((dir, OnrampError("plugin.name_taken",
                                                         "a connector named \(manifest.name) exists; plugin not loaded", at: dir)))
                continue
            }
            let onlyOther = manifest.protocol == .onramp && manifest.configSchema == nil
                && (manifest.destinationSchema != nil || manifest.transformSchema != nil)
            if !onlyOther { registry.register(sourceSpec(manifest, directory: dir, runAs: runAs)) }
            if manifest.protocol == .onramp, let schema = manifest.destinationSchema {
                registry.register(destinationSpec(manifest, schema: schema, directory: dir, runAs: runAs))
            }
            if manifest.protocol == .onramp, let schema = manifest.transformSchema {
                registry.register(transformSpec(manifest, schema: schema, directory: dir, runAs: runAs))
            }
            loaded.plugins.append((manifest, dir))
        }
        return loaded
    }

    static func sourceSpec(_ manifest: PluginManifest, directory: String, runAs: PluginLaunch.RunAs?) -> SourceSpec {
        let incremental: Value = switch manifest.protocol {
        case .singer:
            ["type": "object", "additionalProperties": false, "properties": [
                "replication_key": ["type": "string", "title": "Replication key",
                                    "description": "The field the tap bookmarks; the tap's own choice when left out."]]]
        case .airbyte:
            ["type": "object", "additionalProperties": false, "properties": [
                "cursor_field": ["type": "array", "items": ["type": "string"], "title": "Cursor field",
                                 "description": "The cursor path for streams whose source does not define one."]]]
        case .onramp:
            manifest.incrementalSchema ?? ["type": "object"]
        }
        let summary = manifest.summary.isEmpty ? "\(manifest.protocol.rawValue) plugin \(manifest.name) \(manifest.version)"
            : manifest.summary
        return SourceSpec(name: manifest.name, summary: summary,
                          configSchema: PluginSourceConfig.schema(settings: manifest.configSchema),
                          incrementalSchema: incremental) { config, incremental, resources in
            let c = PluginSourceConfig(config, incremental: incremental)
            let runtime = PluginRuntime(manifest: manifest, directory: directory, runAs: runAs, resources: resources,
                                        settings: c.settings, schema: manifest.configSchema)
            switch manifest.protocol {
            case .singer: return SingerSource(runtime: runtime, config: c)
            case .airbyte: return AirbyteSource(runtime: runtime, config: c)
            case .onramp: return OnrampPluginSource(runtime: runtime, config: c)
            }
        }
    }

    /// A step `- NAME: {settings: {...}}` run by the plugin's `transform` operation.
    static func transformSpec(_ manifest: PluginManifest, schema: Value, directory: String,
                              runAs: PluginLaunch.RunAs?) -> TransformSpec {
        TransformSpec(name: manifest.name, summary: manifest.summary,
                      configSchema: PluginSourceConfig.settingsOnlySchema(schema)) { config, label, resources in
            let settings = config["settings"] ?? [:]
            let runtime = PluginRuntime(manifest: manifest, directory: directory, runAs: runAs, resources: resources,
                                        settings: settings, schema: schema)
            return OnrampPluginTransform(runtime: runtime, settings: settings, label: label)
        }
    }

    static func destinationSpec(_ manifest: PluginManifest, schema: Value, directory: String,
                                runAs: PluginLaunch.RunAs?) -> DestinationSpec {
        DestinationSpec(name: manifest.name, summary: manifest.summary.isEmpty ? "onramp plugin \(manifest.name)"
                        : manifest.summary, configSchema: PluginSourceConfig.settingsOnlySchema(schema)) { config, resources in
            let settings = config["settings"] ?? [:]
            let runtime = PluginRuntime(manifest: manifest, directory: directory, runAs: runAs, resources: resources,
                                        settings: settings, schema: schema)
            return OnrampPluginDestination(runtime: runtime, settings: settings)
        }
    }
}
