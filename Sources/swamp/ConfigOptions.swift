import ArgumentParser
import Foundation
import SwampEngine
import SwampRules

/// `--config`, shared by every subcommand, and the documented search order
/// when it is absent: /etc/swamp/local.cf, then the package's Rules/.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file or directory (default: /etc/swamp/local.cf, else swamp's Rules/ with SpamAssassin's installed rules and site files).")
    var config: String?

    /// The file or directory configuration is read from.
    func configPath() throws -> String {
        if let config { return config }
        if FileManager.default.fileExists(atPath: "/etc/swamp/local.cf") { return "/etc/swamp/local.cf" }
        if let rules = ConfigOptions.bundledRulesDirectory() { return rules }
        throw ValidationError("no configuration: pass --config FILE, create /etc/swamp/local.cf, or run from a swamp checkout (Rules/)")
    }

    func load() throws -> Configuration {
        let path = try configPath()
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError(code: 78, message: "configuration not found: \(path)")
        }
        var loader = ConfigLoader()
        if config == nil && path != "/etc/swamp/local.cf" {
            ConfigOptions.loadDefault(rules: path, into: &loader)
        } else {
            loader.load(path: path)
        }
        return loader.configuration
    }

    /// The default configuration when none is named: SpamAssassin's stock
    /// rules where Debian installs them (its .pre plugin list, then the
    /// rules), then swamp's Rules/, then SpamAssassin's site files
    /// (/etc/spamassassin/*.cf, e.g. local.cf), so an administrator's
    /// existing settings win, as they did under spamd.
    static func loadDefault(rules: String, into loader: inout ConfigLoader) {
        let fm = FileManager.default
        let site = ProcessInfo.processInfo.environment["SWAMP_SA_SITE_DIR"] ?? "/etc/spamassassin"
        let stock = ProcessInfo.processInfo.environment["SWAMP_SA_RULES_DIR"] ?? "/usr/share/spamassassin"
        let haveStock = fm.fileExists(atPath: stock + "/50_scores.cf")
        let siteFiles = ((try? fm.contentsOfDirectory(atPath: site)) ?? []).sorted()
        if haveStock {
            for f in siteFiles where f.hasSuffix(".pre") { loader.load(path: site + "/" + f) }
            loader.load(path: stock)
        }
        loader.load(path: rules)
        if haveStock {
            for f in siteFiles where f.hasSuffix(".cf") { loader.load(path: site + "/" + f) }
        }
    }

    /// swamp's own Rules/: `SWAMP_RULES_DIR`, /usr/share/swamp/rules, or the
    /// checkout the running binary was built in (it lives under .build/).
    static func bundledRulesDirectory() -> String? {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["SWAMP_RULES_DIR"], fm.fileExists(atPath: env) { return env }
        if fm.fileExists(atPath: "/usr/share/swamp/rules/00_swamp.cf") { return "/usr/share/swamp/rules" }
        guard let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("Rules")
            if fm.fileExists(atPath: candidate.appendingPathComponent("00_swamp.cf").path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }
}

/// An error that ends the command with a sysexits code and a message on
/// stderr.
struct CLIError: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    var description: String { message }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
