@testable import SwampRules

/// Loads `text` as one file and returns the configuration.
func load(_ text: String, file: String = "/test/local.cf") -> Configuration {
    var loader = ConfigLoader()
    loader.load(text: text, file: file)
    return loader.configuration
}

extension Configuration {
    var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
}

let pluginPrefix = "loadplugin Mail::SpamAssassin::Plugin::"
